using Microsoft.AspNetCore.DataProtection;
using TieredTenancy.Provisioner.Audit;
using TieredTenancy.Provisioner.Clients;
using TieredTenancy.Provisioner.Plans;
using TieredTenancy.Provisioner.Storage;
using TieredTenancy.Provisioner.Tenants;
using TieredTenancy.Tenancy.Data;
using TieredTenancy.Tenancy.Http;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner;

public static class ProvisionerServices
{
    /// <summary>The registry, the tenant storage servers, Redis and shared Data Protection keys.</summary>
    public static IHostApplicationBuilder AddRegistryAndStorage(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDbContext<CatalogDbContext>("catalog", configureDbContextOptions: options => options.UseCatalogConventions());
        builder.AddKeyedNpgsqlDataSource("tenants");
        builder.AddRedisClient("cache");

        // Hosted services start in registration order: the catalog (and its key table) must exist
        // before Data Protection's own hosted service reads the key ring.
        builder.Services.AddHostedService<StorageBootstrap>();
        builder.Services.AddDataProtection()
            .SetApplicationName(TenantConnectionProtection.ApplicationName)
            .PersistKeysToDbContext<CatalogDbContext>();

        builder.Services.Configure<TenantStorageOptions>(builder.Configuration.GetSection(TenantStorageOptions.SectionName));
        builder.Services.Configure<ProvisioningOptions>(builder.Configuration.GetSection(ProvisioningOptions.SectionName));
        builder.Services.Configure<PlatformAdminOptions>(builder.Configuration.GetSection(PlatformAdminOptions.SectionName));
        builder.Services.AddSingleton<TenantServers>();
        builder.Services.AddSingleton(TenantMigrations.Load());
        builder.Services.AddHostedService<PlatformAdminRegistration>();
        return builder;
    }

    /// <summary>Provisioning, suspension, clients and their audit trail.</summary>
    public static IHostApplicationBuilder AddTenantProvisioning(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddProblemDetailsDefaults();
        builder.Services.AddMemoryCache();
        builder.Services.AddSingleton<PlanCatalog>();
        builder.Services.AddScoped<AuditLog>();
        builder.Services.AddScoped<ProvisioningFaults>();
        builder.Services.AddScoped<TenantLookup>();
        builder.Services.AddScoped<TenantStatusChange>();
        builder.Services.AddScoped<PlanChange>();
        builder.Services.AddScoped<TenantProvisioning>();
        builder.Services.AddScoped<DedicatedPlacementPolicy>();
        builder.Services.AddScoped<IIsolationStorage, RowIsolationStorage>();
        builder.Services.AddScoped<IIsolationStorage, SchemaIsolationStorage>();
        builder.Services.AddScoped<IIsolationStorage, DatabaseIsolationStorage>();
        builder.Services.AddSingleton<RegistryBroadcast>();
        builder.Services.AddScoped<ClientRegistration>();
        return builder;
    }
}
