using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;
using TieredTenancy.Tenancy.Hosting;

namespace TieredTenancy.Tenancy.Cache;

public static class CacheServices
{
    /// <summary>
    /// SE.Redis settings for a client that must never hold a request: commands fail at once while the connection is down
    /// (its default queues them until its 5 s timeout), and every call a request waits on goes through <see cref="RedisCircuit"/>.
    /// </summary>
    public static void FailFast(ConfigurationOptions options) => options.BacklogPolicy = BacklogPolicy.FailFast;

    /// <summary>The circuit, and its health check, which stands in for Aspire's own (that one reports a cache as critical: leave it out).</summary>
    public static IServiceCollection AddRedisCircuit(this IServiceCollection services)
    {
        services.AddValidatedOptions<RedisCircuitOptions>(RedisCircuitOptions.SectionName);
        if (services.Any(service => service.ServiceType == typeof(RedisCircuit)))
        {
            return services;
        }
        services.AddSingleton<RedisCircuit>();
        services.AddHealthChecks().AddCheck<RedisCircuitHealthCheck>(RedisCircuitHealthCheck.Name, HealthStatus.Degraded);
        return services;
    }

    /// <summary>HybridCache's second level on the shared Redis client, behind the circuit (<see cref="GuardedRedisCache"/>).</summary>
    public static IServiceCollection AddGuardedRedisCache(this IServiceCollection services)
    {
        services.AddRedisCircuit();
        services.AddOptions<RedisCacheOptions>()
            .Configure<IServiceProvider>((options, provider) =>
                options.ConnectionMultiplexerFactory = () => Task.FromResult(provider.GetRequiredService<IConnectionMultiplexer>()));
        services.AddSingleton<GuardedRedisCache>();
        services.AddSingleton<IDistributedCache>(provider => provider.GetRequiredService<GuardedRedisCache>());
        return services;
    }
}
