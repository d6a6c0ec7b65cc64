using StackExchange.Redis;
using TieredTenancy.Api.Tenants;

namespace TieredTenancy.Api.Capacity;

/// <summary>
/// Counts each tenant request that passed its plan's limits in Redis, per day and plan
/// (<c>t:{id}:requests:{yyyy-MM-dd}</c>, a hash plan → requests, kept 35 days), for the
/// Provisioner's usage report. Fire and forget: the request never waits for the count.
/// </summary>
public sealed class RequestMetering(RequestDelegate next, IConnectionMultiplexer redis)
{
    private static readonly TimeSpan Kept = TimeSpan.FromDays(35);

    public Task InvokeAsync(HttpContext http)
    {
        var tenant = http.RequestServices.GetRequiredService<RequestTenant>();
        if (tenant.IsResolved)
        {
            var key = $"t:{tenant.Tenant.Id}:requests:{DateTime.UtcNow:yyyy-MM-dd}";
            var database = redis.GetDatabase();
            database.HashIncrement(key, tenant.Tenant.Plan, 1, CommandFlags.FireAndForget);
            database.KeyExpire(key, Kept, CommandFlags.FireAndForget);
        }
        return next(http);
    }
}
