using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using TieredTenancy.Tenancy.Hosting;

namespace TieredTenancy.Api.Capacity;

/// <summary>
/// Test runs only (<c>Provisioning:AllowFaultInjection</c>): when this replica let each tenant request
/// through its plan's limits, so a test can hold the limiter to its plan by the server's own count
/// and clock, whatever the client managed to send (<c>GET /testing/admissions?tenant=…</c>).
/// </summary>
public sealed class AdmissionLog(IOptions<FaultInjectionOptions> options)
{
    private const int KeptPerTenant = 20_000;

    private readonly bool _enabled = options.Value.AllowFaultInjection;
    private readonly ConcurrentDictionary<Guid, ConcurrentQueue<long>> _admitted = new();

    public void Admitted(Guid tenantId)
    {
        if (!_enabled)
        {
            return;
        }
        var times = _admitted.GetOrAdd(tenantId, static _ => new ConcurrentQueue<long>());
        times.Enqueue(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        while (times.Count > KeptPerTenant && times.TryDequeue(out _))
        {
        }
    }

    /// <summary>Unix milliseconds of each admitted request of the tenant on this replica, oldest first.</summary>
    public IReadOnlyList<long> Of(Guid tenantId) => _admitted.TryGetValue(tenantId, out var times) ? times.ToArray() : [];

}

public static class AdmissionLogEndpoints
{
    public static WebApplication MapAdmissionsForTests(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<FaultInjectionOptions>>().Value.AllowFaultInjection)
        {
            app.MapGet("/testing/admissions", (Guid tenant, AdmissionLog log) => TypedResults.Ok(log.Of(tenant))).ExcludeFromDescription();
        }
        return app;
    }
}
