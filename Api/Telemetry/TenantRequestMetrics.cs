using System.Diagnostics.Metrics;
namespace TieredTenancy.Api.Telemetry;

/// <summary>Tenant-plane request counts by isolation and plan; never by tenant id (unbounded cardinality).</summary>
public sealed class TenantRequestMetrics
{
    public const string MeterName = "TieredTenancy.Api";

    private readonly Counter<long> _requests;

    public TenantRequestMetrics(IMeterFactory meters)
    {
        _requests = meters.Create(MeterName).CreateCounter<long>("tieredtenancy.tenant.requests", description: "Tenant-plane requests resolved to a tenant");
    }

    public void Record(string isolation, string plan) =>
        _requests.Add(1,
            new KeyValuePair<string, object?>("tenant.isolation", isolation),
            new KeyValuePair<string, object?>("tenant.plan", plan));
}
