using TieredTenancy.AppHost.Infrastructure;

// The whole stack: PostgreSQL (catalog + shared tenant data), dedicated PostgreSQL servers for
// database-tier tenants, Redis, the Provisioner (control plane) and the Api (tenant plane, replicated).
var builder = DistributedApplication.CreateBuilder(args);

PlatformResources platform;
try
{
    platform = builder.AddPlatformInfrastructure();
}
catch (InfrastructureUnavailableException exception)
{
    Console.Error.WriteLine(exception.Message);
    return 1;
}

// The Api's database login (owns nothing, cannot bypass row-level security) and the platform-admin client's secret.
var appDbPassword = builder.AddGeneratedSecret("app-db-password");
var platformAdminSecret = builder.AddGeneratedSecret("platform-admin-secret");

var provisioner = builder.AddProject<Projects.Provisioner>("provisioner")
    .WithHttpEndpoint()
    .WithHttpHealthCheck("/health")
    .WithReference(platform.Catalog)
    .WithReference(platform.Tenants)
    .WithReference(platform.Cache)
    .WithEnvironment("TenantStorage__AppPassword", appDbPassword)
    .WithEnvironment("PlatformAdmin__ClientSecret", platformAdminSecret)
    // Only test runs may make provisioning fail on purpose (see ProvisioningFaults).
    .WithEnvironment("Provisioning__AllowFaultInjection", builder.Configuration.GetValue<bool>("Testing:AllowFaultInjection").ToString())
    .WaitFor(platform.Servers);
for (var index = 0; index < platform.DedicatedServers.Count; index++)
{
    provisioner
        .WithReference(platform.DedicatedServers[index])
        .WithEnvironment($"TenantStorage__DedicatedServers__{index}", platform.DedicatedServers[index].Resource.Name);
}

var api = builder.AddProject<Projects.Api>("api")
    .WithHttpEndpoint()
    .WithHttpHealthCheck("/health")
    .WithReplicas(platform.Options.ApiReplicas)
    .WithReference(platform.Catalog)
    .WithReference(platform.Tenants)
    .WithReference(platform.Cache)
    .WithReference(provisioner)
    .WithEnvironment("TenantStorage__AppPassword", appDbPassword)
    // Requests to <slug>.<root domain> name their tenant by subdomain (e.g. acme.app.example.com).
    .WithEnvironment("Tenancy__RootDomain", builder.Configuration["Tenancy:RootDomain"] ?? "")
    // Only the benchmark maps the plain baseline endpoints (see Api/Baseline).
    .WithEnvironment("Bench__PlainEndpoints", builder.Configuration.GetValue<bool>("Bench:PlainEndpoints").ToString())
    .WaitFor(provisioner);
// The Api reaches database-tier tenants with each tenant's own credentials: it gets the servers' addresses, not their admin logins.
foreach (var server in platform.DedicatedServers)
{
    var endpoint = ((IResourceWithEndpoints)server.Resource).GetEndpoint("tcp");
    api.WithEnvironment($"TenantStorage__DedicatedServerAddresses__{server.Resource.Name}",
        ReferenceExpression.Create($"Host={endpoint.Property(EndpointProperty.Host)};Port={endpoint.Property(EndpointProperty.Port)}"));
}

builder.Build().Run();
return 0;
