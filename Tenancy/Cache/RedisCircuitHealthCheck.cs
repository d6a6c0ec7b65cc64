using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace TieredTenancy.Tenancy.Cache;

/// <summary>
/// Redis as a service's health sees it: a cache, so a Redis that does not answer makes the service degraded, never
/// unhealthy (it serves on, from its fallbacks); an orchestrator must not take a replica out of rotation for it.
/// </summary>
public sealed class RedisCircuitHealthCheck(RedisCircuit redis) : IHealthCheck
{
    public const string Name = "cache";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        (await redis.CallAsync(database => database.PingAsync(), cancellationToken)).Answered
            ? HealthCheckResult.Healthy("Redis answers.")
            : HealthCheckResult.Degraded("Redis does not answer; the cache, the broadcast and the request limits use their local fallbacks.");
}
