using TieredTenancy.Provisioner.Servers;
using TieredTenancy.Tenancy.Cache;
using TieredTenancy.Tenancy.Capacity;
using TieredTenancy.Tenancy.Data;
using TieredTenancy.Tenancy.Hosting;
using TieredTenancy.Tenancy.Registry;
using TieredTenancy.Tenancy.Storage;

namespace TieredTenancy.Provisioner.Storage;

public static class StorageServices
{
    /// <summary>The registry, the tenant storage servers and tiers, Redis, and shared Data Protection keys.</summary>
    public static IHostApplicationBuilder AddRegistryAndStorage(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDbContext<CatalogDbContext>("catalog", configureDbContextOptions: options => options.UseCatalogConventions());
        builder.AddKeyedNpgsqlDataSource("tenants");
        builder.AddRedisClient("cache", settings => settings.DisableHealthChecks = true, CacheServices.FailFast);
        builder.Services.AddRedisCircuit();

        // Hosted services start in registration order: the catalog (and its key table) must exist
        // before Data Protection's own hosted service reads the key ring. Replicas start one at a time.
        builder.Services.AddHostedService<ReplicaStart>();
        builder.Services.AddHostedService<StorageBootstrap>();
        builder.Services.AddCatalogKeyRing(builder.Configuration, readOnly: false);

        builder.Services.AddValidatedOptions<TenantStorageOptions>(TenantStorageOptions.SectionName);
        builder.Services.AddValidatedOptions<CapacityOptions>(CapacityOptions.SectionName);
        builder.Services.AddSingleton<TierTimeouts>();
        builder.Services.AddSingleton<TenantServers>();
        builder.Services.AddSingleton(StorageMigrations.Load());
        builder.Services.AddSingleton(TenantTables.Load());
        builder.Services.AddScoped<StorageVersions>();
        builder.Services.AddScoped<RowTierStorage>();
        builder.Services.AddScoped<SchemaTierStorage>();
        builder.Services.AddSingleton<TenantLogins>();
        builder.Services.AddScoped<DatabaseTierStorage>();
        builder.Services.AddScoped<ITierStorage>(services => services.GetRequiredService<RowTierStorage>());
        builder.Services.AddScoped<ITierStorage>(services => services.GetRequiredService<SchemaTierStorage>());
        builder.Services.AddScoped<ITierStorage>(services => services.GetRequiredService<DatabaseTierStorage>());
        return builder;
    }
}
