using System.Diagnostics.Metrics;
using TieredTenancy.Api.Telemetry;
using TieredTenancy.Api.Tenants;

namespace TieredTenancy.Api.RateLimits;

/// <summary>Requests refused by a plan's limits, by plan, isolation and which limit; never by tenant id (unbounded cardinality).</summary>
public sealed class RequestLimitMetrics(IMeterFactory meters)
{
    private readonly Counter<long> _rejected = meters.Create(TenantRequestMetrics.MeterName)
        .CreateCounter<long>("tieredtenancy.tenant.requests.rejected", description: "Tenant-plane requests refused with 429 by the plan's limits");

    public void Rejected(ResolvedTenant tenant, string limit) =>
        _rejected.Add(1,
            new KeyValuePair<string, object?>("tenant.isolation", tenant.Isolation.ToString().ToLowerInvariant()),
            new KeyValuePair<string, object?>("tenant.plan", tenant.Plan),
            new KeyValuePair<string, object?>("limit", limit));
}
