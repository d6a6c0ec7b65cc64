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

var provisioner = builder.AddProject<Projects.Provisioner>("provisioner")
    .WithHttpEndpoint()
    .WithHttpHealthCheck("/health")
    .WithReference(platform.Catalog)
    .WithReference(platform.Tenants)
    .WithReference(platform.Cache)
    .WaitFor(platform.Servers);
foreach (var server in platform.DedicatedServers)
{
    provisioner.WithReference(server);
}

builder.AddProject<Projects.Api>("api")
    .WithHttpEndpoint()
    .WithHttpHealthCheck("/health")
    .WithReplicas(builder.Configuration.GetValue("Infrastructure:ApiReplicas", 2))
    .WithReference(platform.Catalog)
    .WithReference(platform.Tenants)
    .WithReference(platform.Cache)
    .WithReference(provisioner)
    .WaitFor(provisioner);

builder.Build().Run();
return 0;
