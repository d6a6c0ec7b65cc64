using TieredTenancy.Api.Tenants;
using TieredTenancy.Tenancy.Data;
using TieredTenancy.Tenancy.Hosting;
using TieredTenancy.Tenancy.Identity;
using TieredTenancy.Tenancy.Storage;

namespace TieredTenancy.Api.Isolation;

public static class IsolationServices
{
    /// <summary>One isolation strategy per kind, and the per-request data context they open.</summary>
    public static IHostApplicationBuilder AddTenantIsolation(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<TenantStorageOptions>(TenantStorageOptions.SectionName);
        // The shared pool is registered before the container exists, so it binds the section itself;
        // the validation above runs at start, before the pool is first used.
        var storage = builder.Configuration.GetSection(TenantStorageOptions.SectionName).Get<TenantStorageOptions>() ?? new();
        // The connection string's login is the Api's own role (the AppHost's): it owns nothing and cannot bypass row-level security.
        builder.AddKeyedNpgsqlDataSource(storage.SharedDatabase, configureDataSourceBuilder: dataSource =>
        {
            dataSource.ConnectionStringBuilder.MaxPoolSize = storage.SharedMaxPoolSize;
            dataSource.ConnectionStringBuilder.ConnectionLifetime = storage.SharedConnectionLifetimeSeconds;
            // The binding prefix and the tenant queries repeat verbatim: prepared once per connection, not parsed per request.
            dataSource.ConnectionStringBuilder.MaxAutoPrepare = TenantStorageOptions.MaxAutoPrepare;
            dataSource.ConnectionStringBuilder.NoResetOnClose = TenantStorageOptions.NoResetOnClose;
        });

        builder.Services.AddSingleton<DedicatedConnectionBudget>();
        builder.Services.AddSingleton<DedicatedDataSources>();
        builder.Services.AddSingleton<IRegistryEntryHolder>(services => services.GetRequiredService<DedicatedDataSources>());
        builder.Services.AddHostedService<IdlePoolSweeper>();
        builder.Services.AddSingleton(TenantTables.Load());
        builder.Services.AddSingleton<IIsolationStrategy, RowIsolation>();
        builder.Services.AddSingleton<IIsolationStrategy, SchemaIsolation>();
        builder.Services.AddSingleton<IIsolationStrategy, DatabaseIsolation>();
        builder.Services.AddTenantDataContext();
        return builder;
    }

    /// <summary>A request's <see cref="TenantDataContext"/>, opened on first use for its <see cref="RequestTenant"/>.</summary>
    public static IServiceCollection AddTenantDataContext(this IServiceCollection services) =>
        services
            .AddHttpContextAccessor()
            .AddSingleton<TenantStorage>()
            .AddScoped(provider => provider.GetRequiredService<TenantStorage>().Open(
                provider.GetRequiredService<RequestTenant>().Tenant,
                writes: MayWrite(provider.GetRequiredService<IHttpContextAccessor>().HttpContext)));

    /// <summary>
    /// Anything but a GET or HEAD may write, and so does a platform admin's every request: it records
    /// its access in the tenant's audit trail. A writer waits out a tier move's freeze; a reader does not.
    /// </summary>
    private static bool MayWrite(HttpContext? http) =>
        http is null
        || !(HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method))
        || http.User.IsInRole(TenancyRoles.PlatformAdmin);
}
