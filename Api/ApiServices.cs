using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.FeatureManagement;
using StackExchange.Redis;
using TieredTenancy.Api.Audit;
using TieredTenancy.Api.Features;
using TieredTenancy.Api.Isolation;
using TieredTenancy.Api.Telemetry;
using TieredTenancy.Api.Tenants;
using TieredTenancy.Api.Tenants.Naming;
using TieredTenancy.Tenancy.Data;
using TieredTenancy.Tenancy.Hosting;
using TieredTenancy.Tenancy.Http;
using TieredTenancy.Tenancy.Registry;
using TieredTenancy.Tenancy.Storage;

namespace TieredTenancy.Api;

public static class ApiServices
{
    /// <summary>The registry (read-only here), its cache in process and in Redis, and the broadcast that invalidates it.</summary>
    public static IHostApplicationBuilder AddTenantRegistry(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDbContext<CatalogDbContext>("catalog", configureDbContextOptions: options => options.UseCatalogConventions());
        builder.AddRedisClient("cache");
        builder.Services.AddCatalogKeyRing(builder.Configuration, readOnly: true);

        builder.Services.AddOptions<RedisCacheOptions>()
            .Configure<IServiceProvider>((options, services) =>
                options.ConnectionMultiplexerFactory = () => Task.FromResult(services.GetRequiredService<IConnectionMultiplexer>()));
        builder.Services.AddStackExchangeRedisCache(_ => { });
        builder.Services.AddHybridCache();
        builder.Services.AddSingleton<TenantRegistryCache>();
        builder.Services.AddSingleton<RegistryChangeLog>();
        builder.Services.AddHostedService<RegistryChangeListener>();
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
        builder.Services.AddScoped<TenantAuditTrail>();
        builder.Services.AddSingleton<TenantRequestMetrics>();
        return builder;
    }

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
        builder.Services.AddHostedService<IdlePoolSweeper>();
        builder.Services.AddSingleton(TenantTables.Load());
        builder.Services.AddSingleton<IIsolationStrategy, RowIsolation>();
        builder.Services.AddSingleton<IIsolationStrategy, SchemaIsolation>();
        builder.Services.AddSingleton<IIsolationStrategy, DatabaseIsolation>();
        builder.Services.AddTenantDataContext();
        return builder;
    }

    /// <summary>Plan features through Microsoft.FeatureManagement, fed by the resolved tenant's plan.</summary>
    public static IHostApplicationBuilder AddPlanFeatures(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddFeatureManagement().AddFeatureFilter<PlanFeatureFilter>();
        return builder;
    }

    /// <summary>JSON, problem details, the OpenAPI document.</summary>
    public static IHostApplicationBuilder AddHttpContract(this IHostApplicationBuilder builder)
    {
        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
        });
        builder.Services.AddProblemDetailsDefaults();
        builder.AddOpenApiDocument("TieredTenancy tenant API",
            "Each tenant's projects, tasks and comments, served through the isolation its plan selects. Every request carries an access token "
            + "from the Provisioner; the token names the tenant.",
            new Dictionary<string, string>
            {
                ["Tenant"] = "The caller's tenant.",
                ["Projects"] = "Projects of the tenant.",
                ["Tasks"] = "Tasks in projects.",
                ["Comments"] = "Comments on tasks.",
                ["Search"] = "Full-text search over tasks (plans with the search feature).",
                ["Audit"] = "The tenant's own audit trail (plans with the audit-events feature).",
                ["Clients"] = "The tenant's own API clients: its admin clients make and revoke member clients (self-service).",
            },
            options => options.DescribeTenantHeader());
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(TenantRequestMetrics.MeterName));
        return builder;
    }
}
