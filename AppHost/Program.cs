using TieredTenancy.AppHost.Infrastructure;
using TieredTenancy.AppHost.Services;
using TieredTenancy.Tenancy.Hosting;

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
    .WithDedicatedServerLogins(platform.DedicatedServers)
    .WithSetting(ServiceSettings.AppPassword, appDbPassword)
    .WithSetting(ServiceSettings.PlatformAdminClientSecret, platformAdminSecret)
    .WithSetting(ServiceSettings.ArchiveFolder, builder.Configuration[ServiceSettings.ArchiveFolder.Key] ?? platform.ArchiveFolder)
    .WithFaultInjectionForTests(builder.Configuration)
    .WaitFor(platform.Servers);

builder.AddProject<Projects.Api>("api")
    .WithHttpEndpoint()
    .WithHttpHealthCheck("/health")
    .WithReplicas(platform.Options.ApiReplicas)
    .WithReference(platform.Catalog)
    .WithReference(platform.Tenants)
    .WithReference(platform.Cache)
    .WithReference(provisioner)
    .WithDedicatedServerAddresses(platform.DedicatedServers)
    .WithSetting(ServiceSettings.AppPassword, appDbPassword)
    .WithTenantSubdomains(builder.Configuration)
    .WithPlainBaselineForBench(builder.Configuration)
    .WaitFor(provisioner);

builder.Build().Run();
return 0;
