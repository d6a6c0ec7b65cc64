using TieredTenancy.Api.Tenants.Naming;
using TieredTenancy.Tenancy.Cache;
using TieredTenancy.Tenancy.Data;
using TieredTenancy.Tenancy.Hosting;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Api.Tenants;

public static class TenantServices
{
    /// <summary>The registry (read-only here), its cache in process and in Redis (behind the circuit), and the two channels of changes that invalidate it.</summary>
    public static IHostApplicationBuilder AddTenantRegistry(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDbContext<CatalogDbContext>("catalog", configureDbContextOptions: options => options.UseCatalogConventions());
        builder.AddRedisClient("cache", settings => settings.DisableHealthChecks = true, CacheServices.FailFast);
        builder.Services.AddCatalogKeyRing(builder.Configuration, readOnly: true);

        builder.Services.AddGuardedRedisCache();
        builder.Services.AddHybridCache();
        builder.Services.AddSingleton<TenantRegistryCache>();
        builder.Services.AddRegistryChangeFeed();
        builder.Services.AddSingleton<IRegistryChangeHandler, RegistryChangeListener>();
        return builder;
    }

    /// <summary>The tenant a request acts on: the ways a request names it, and the middleware that decides.</summary>
    public static IHostApplicationBuilder AddTenantResolution(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<TenantDomainOptions>(TenantDomainOptions.SectionName);
        builder.Services.AddSingleton<TokenTenantNaming>();
        builder.Services.AddSingleton<HeaderTenantNaming>();
        builder.Services.AddSingleton<SubdomainTenantNaming>();
        builder.Services.AddScoped<RequestTenant>();
        return builder;
    }
}
