using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using RedisRateLimiting;
using StackExchange.Redis;
using TieredTenancy.Api.Tenants;
using TieredTenancy.Tenancy.Http;
using TieredTenancy.Tenancy.Plans;

namespace TieredTenancy.Api.RateLimits;

/// <summary>
/// Each tenant's plan limits, enforced across every Api replica in Redis (RedisRateLimiting on
/// ASP.NET Core's rate limiter): a token bucket (the plan's rate, its burst as the bucket's size)
/// chained with a concurrency limit. Over either: 429 problem+json with <c>Retry-After</c> and
/// <c>RateLimit-*</c> headers. The partition key carries the limits themselves, so a plan change
/// (which drops the tenant's cached registry entry on every replica) starts a new bucket at once.
/// Requests without a tenant (health, tokens, the OpenAPI document) are not limited here.
/// </summary>
public static class TenantRequestLimits
{
    public static IHostApplicationBuilder AddTenantRequestLimits(this IHostApplicationBuilder builder)
    {
        builder.Services.AddRateLimiter(_ => { });
        builder.Services.AddOptions<RateLimiterOptions>().Configure<IConnectionMultiplexer, RequestLimitMetrics>((options, redis, metrics) =>
        {
            options.GlobalLimiter = PartitionedRateLimiter.CreateChained(Rate(redis), Concurrency(redis));
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.OnRejected = (context, _) => RejectAsync(context, metrics);
        });
        builder.Services.AddSingleton<RequestLimitMetrics>();
        return builder;
    }

    /// <summary>After tenant resolution (the limits are the resolved tenant's plan's), before any tenant storage is touched.</summary>
    public static WebApplication UseTenantRequestLimits(this WebApplication app)
    {
        app.UseRateLimiter();
        return app;
    }

    private static PartitionedRateLimiter<HttpContext> Rate(IConnectionMultiplexer redis) =>
        PartitionedRateLimiter.Create<HttpContext, string>(http => TenantOf(http) is not { } tenant
            ? RateLimitPartition.GetNoLimiter("")
            : RedisRateLimitPartition.GetTokenBucketRateLimiter(
                $"t:{tenant.Id}:rate:{tenant.Limits.RequestsPerMinute}:{tenant.Limits.RequestBurst}",
                _ => new RedisTokenBucketRateLimiterOptions
                {
                    ConnectionMultiplexerFactory = () => redis,
                    TokenLimit = tenant.Limits.RequestBurst,
                    // One token at a time, evenly: 120 a minute is one every 500 ms, not 120 at each minute's turn.
                    TokensPerPeriod = 1,
                    ReplenishmentPeriod = TimeSpan.FromMinutes(1) / tenant.Limits.RequestsPerMinute,
                }));

    private static PartitionedRateLimiter<HttpContext> Concurrency(IConnectionMultiplexer redis) =>
        PartitionedRateLimiter.Create<HttpContext, string>(http => TenantOf(http) is not { } tenant
            ? RateLimitPartition.GetNoLimiter("")
            : RedisRateLimitPartition.GetConcurrencyRateLimiter(
                $"t:{tenant.Id}:concurrency:{tenant.Limits.ConcurrentRequests}",
                _ => new RedisConcurrencyRateLimiterOptions { ConnectionMultiplexerFactory = () => redis, PermitLimit = tenant.Limits.ConcurrentRequests }));

    private static ResolvedTenant? TenantOf(HttpContext http) =>
        http.RequestServices.GetRequiredService<RequestTenant>() is { IsResolved: true } request ? request.Tenant : null;

    private static async ValueTask RejectAsync(OnRejectedContext context, RequestLimitMetrics metrics)
    {
        var http = context.HttpContext;
        var tenant = TenantOf(http)!;
        var limits = tenant.Limits;
        // Only the token bucket says when a token comes back; a concurrency refusal ends when a request of the tenant ends.
        var overRate = context.Lease.TryGetMetadata(RateLimitMetadataName.RetryAfter, out var retryAfter);
        var seconds = Math.Max(1, overRate ? retryAfter : 1);
        metrics.Rejected(tenant, overRate ? "rate" : "concurrency");

        var headers = http.Response.Headers;
        headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        headers["RateLimit-Limit"] = (overRate ? limits.RequestBurst : limits.ConcurrentRequests).ToString(CultureInfo.InvariantCulture);
        headers["RateLimit-Remaining"] = "0";
        headers["RateLimit-Reset"] = seconds.ToString(CultureInfo.InvariantCulture);
        headers["RateLimit-Policy"] = $"{limits.RequestsPerMinute};w=60;burst={limits.RequestBurst}, {limits.ConcurrentRequests};concurrent";
        var detail = overRate
            ? $"The {tenant.Plan} plan allows {limits.RequestsPerMinute} requests a minute with bursts of {limits.RequestBurst}; retry in {seconds} s or upgrade the plan."
            : $"The {tenant.Plan} plan allows {limits.ConcurrentRequests} requests in flight at once; retry when one of them has ended or upgrade the plan.";
        await Problems.TooManyRequests(detail).ExecuteAsync(http);
    }
}
