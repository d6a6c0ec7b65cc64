using TieredTenancy.AppHost.Infrastructure;
using TieredTenancy.AppHost.Services;
using TieredTenancy.Tenancy.Hosting;
using TieredTenancy.Tenancy.Storage;

// The whole stack: PostgreSQL (catalog + shared tenant data), dedicated PostgreSQL servers for
// database-tier tenants, Redis, the bootstrap (roles, once), the Provisioner (control plane) and
// the Api (tenant plane, replicated).
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

// The platform's login roles (the bootstrap creates them; no service gets a superuser), the key
// ring's encryption certificate and the platform-admin client's secret.
var roles = new TenantStorageOptions();
var provisionerDbPassword = builder.AddGeneratedSecret("provisioner-db-password");
var resolverDbPassword = builder.AddGeneratedSecret("resolver-db-password");
var appDbPassword = builder.AddGeneratedSecret("app-db-password");
var keyEncryptionCertificate = builder.AddKeyEncryptionCertificate();
var platformAdminSecret = builder.AddGeneratedSecret("platform-admin-secret");

var bootstrap = builder.AddProject<Projects.Bootstrap>("bootstrap")
    .WithServerSuperusers(platform)
    .WithSetting(ServiceSettings.ProvisionerPassword, provisionerDbPassword)
    .WithSetting(ServiceSettings.ResolverPassword, resolverDbPassword)
    .WithSetting(ServiceSettings.AppPassword, appDbPassword)
    // It exits as soon as it is done, and its last act is flushing telemetry: where no collector
    // answers (the testing host runs no dashboard) the exporter's default 10 s timeout would hold
    // every start of the stack that much longer.
    .WithEnvironment("OTEL_EXPORTER_OTLP_TIMEOUT", "1000")
    .WaitFor(platform.Servers);

var provisioner = builder.AddProject<Projects.Provisioner>("provisioner")
    .WithHttpEndpoint()
    .WithHttpHealthCheck("/health")
    .WithReplicas(platform.Options.ProvisionerReplicas)
    .WithSupervision()
    .WithLogin(PlatformInfrastructure.CatalogDatabase, platform.MainServer, PlatformInfrastructure.CatalogDatabase, roles.ProvisionerRole, provisionerDbPassword)
    .WithLogin(roles.SharedDatabase, platform.MainServer, roles.SharedDatabase, roles.ProvisionerRole, provisionerDbPassword)
    .WithReference(platform.Cache)
    .WithDedicatedServerLogins(platform.DedicatedServers, roles.ProvisionerRole, provisionerDbPassword)
    .WithSetting(ServiceSettings.KeyEncryptionCertificate, keyEncryptionCertificate)
    .WithSetting(ServiceSettings.PlatformAdminClientSecret, platformAdminSecret)
    .WithSetting(ServiceSettings.ArchiveFolder, builder.Configuration[ServiceSettings.ArchiveFolder.Key] ?? platform.ArchiveFolder)
    .WithFaultInjectionForTests(builder.Configuration)
    .WithCapacitySettings(builder.Configuration)
    .WaitFor(platform.Servers)
    .WaitForCompletion(bootstrap);

builder.AddProject<Projects.Api>("api")
    .WithHttpEndpoint()
    .WithHttpHealthCheck("/health")
    .WithReplicas(platform.Options.ApiReplicas)
    .WithSupervision()
    .WithSetting(ServiceSettings.ApiReplicas, platform.Options.ApiReplicas.ToString(System.Globalization.CultureInfo.InvariantCulture))
    .WithLogin(PlatformInfrastructure.CatalogDatabase, platform.MainServer, PlatformInfrastructure.CatalogDatabase, roles.ResolverRole, resolverDbPassword)
    .WithLogin(roles.SharedDatabase, platform.MainServer, roles.SharedDatabase, roles.AppRole, appDbPassword)
    .WithReference(platform.Cache)
    .WithReference(provisioner)
    .WithDedicatedServerAddresses(platform.DedicatedServers)
    .WithSetting(ServiceSettings.KeyEncryptionCertificate, keyEncryptionCertificate)
    .WithTenantSubdomains(builder.Configuration)
    .WithPlainBaselineForBench(builder.Configuration, platform.Tenants)
    .WithFaultInjectionForTests(builder.Configuration)
    .WithCapacitySettings(builder.Configuration)
    .WaitFor(provisioner);

builder.Build().Run();
return 0;
