using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using TieredTenancy.Tenancy.Cache;
using TieredTenancy.Api.Tenants;
using TieredTenancy.Tenancy.Capacity;
using TieredTenancy.Tenancy.Http;
using TieredTenancy.Tenancy.Plans;

namespace TieredTenancy.Api.RateLimits;

/// <summary>
/// Each tenant's plan limits on ASP.NET Core's rate limiter: the in-flight limit split between the replicas, chained with
/// the rate and burst of one <see cref="SharedTokenBucket"/>; over either, 429 with <c>Retry-After</c>. The partition key
/// carries the limits themselves, so a plan change starts a new bucket at once. Requests without a tenant are not limited here.
/// </summary>
public static class TenantRequestLimits
{
    public static IHostApplicationBuilder AddTenantRequestLimits(this IHostApplicationBuilder builder)
    {
        builder.Services.AddRateLimiter(_ => { });
        builder.Services.AddOptions<RateLimiterOptions>()
            .Configure<RedisCircuit, IOptions<CapacityOptions>, RequestLimitMetrics, ILoggerFactory>((options, redis, capacity, metrics, logs) =>
            {
                var replicas = capacity.Value.ApiReplicas;
                var logger = logs.CreateLogger(typeof(SharedTokenBucket));
                // In flight first: a request refused for concurrency never takes a token.
                options.GlobalLimiter = PartitionedRateLimiter.CreateChained(Concurrency(replicas), Rate(redis, replicas, logger));
                options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
                options.OnRejected = (context, _) => RejectAsync(context, metrics, replicas);
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

    private static PartitionedRateLimiter<HttpContext> Rate(RedisCircuit redis, int replicas, ILogger logger) =>
        PartitionedRateLimiter.Create<HttpContext, LimitsKey>(http => TenantOf(http) is not { } tenant
            ? RateLimitPartition.GetNoLimiter(default(LimitsKey))
            : RateLimitPartition.Get(LimitsKey.Of(tenant), key => new SharedTokenBucket(
                redis, $"t:{key.Tenant}:rate:{key.RequestsPerMinute}:{key.RequestBurst}", key.RequestsPerMinute, key.RequestBurst, replicas, logger)));

    private static PartitionedRateLimiter<HttpContext> Concurrency(int replicas) =>
        PartitionedRateLimiter.Create<HttpContext, LimitsKey>(http => TenantOf(http) is not { } tenant
            ? RateLimitPartition.GetNoLimiter(default(LimitsKey))
            : RateLimitPartition.GetConcurrencyLimiter(LimitsKey.Of(tenant), key => new ConcurrencyLimiterOptions
            {
                PermitLimit = ConcurrencyShare(key.ConcurrentRequests, replicas),
                QueueLimit = 0,
            }));

    /// <summary>
    /// A replica's share of a plan's in-flight limit, rounded up so that no replica refuses a tenant
    /// outright (the replicas together may let through up to one more each than the plan says). The
    /// in-flight limit guards each replica's connections, which are per replica too; counting it in
    /// Redis cost two round trips per request.
    /// </summary>
    public static int ConcurrencyShare(int concurrentRequests, int replicas) => Math.Max(1, (concurrentRequests + replicas - 1) / replicas);

    private static ResolvedTenant? TenantOf(HttpContext http) =>
        http.RequestServices.GetRequiredService<RequestTenant>() is { IsResolved: true } request ? request.Tenant : null;

    private static async ValueTask RejectAsync(OnRejectedContext context, RequestLimitMetrics metrics, int replicas)
    {
        var http = context.HttpContext;
        var tenant = TenantOf(http)!;
        var limits = tenant.Limits;
        // Only the token bucket says when a token comes back; a concurrency refusal ends when a request of the tenant ends.
        var overRate = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter);
        var seconds = overRate ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)) : 1;
        metrics.Rejected(tenant, overRate ? "rate" : "concurrency");

        var headers = http.Response.Headers;
        headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        headers["RateLimit-Limit"] = (overRate ? limits.RequestBurst : limits.ConcurrentRequests).ToString(CultureInfo.InvariantCulture);
        headers["RateLimit-Remaining"] = "0";
        headers["RateLimit-Reset"] = seconds.ToString(CultureInfo.InvariantCulture);
        headers["RateLimit-Policy"] = $"{limits.RequestsPerMinute};w=60;burst={limits.RequestBurst}, {limits.ConcurrentRequests};concurrent";
        var detail = overRate
            ? $"The {tenant.Plan} plan allows {limits.RequestsPerMinute} requests a minute with bursts of {limits.RequestBurst}; retry in {seconds} s or upgrade the plan."
            : $"The {tenant.Plan} plan allows {limits.ConcurrentRequests} requests in flight at once ({ConcurrencyShare(limits.ConcurrentRequests, replicas)} on each of the service's {replicas} instances); retry when one of them has ended or upgrade the plan.";
        await Problems.TooManyRequests(detail).ExecuteAsync(http);
    }

    /// <summary>A tenant's limits as a partition key: a plan change makes a new key, and with it a fresh bucket.</summary>
    private readonly record struct LimitsKey(Guid Tenant, int RequestsPerMinute, int RequestBurst, int ConcurrentRequests)
    {
        public static LimitsKey Of(ResolvedTenant tenant) =>
            new(tenant.Id, tenant.Limits.RequestsPerMinute, tenant.Limits.RequestBurst, tenant.Limits.ConcurrentRequests);
    }
}
