using Aspire.Hosting;
using TieredTenancy.Tests.Moves;
using TieredTenancy.Tests.Stack;
using TieredTenancy.Tests.TenantPlane;

namespace TieredTenancy.Tests.Faults;

/// <summary>
/// Continuous mixed load on both Api replicas: a tenant of each tier (row, schema, database), each with writers creating
/// and renaming tasks and readers listing them on every replica (<see cref="TenantWorkload"/>). What it counts is what
/// the clients were answered; the pace before a fault is the yardstick for the pace during it.
/// </summary>
public sealed class MixedLoad : IAsyncDisposable
{
    private readonly List<(TestTenant Tenant, string ProjectId, TenantWorkload Work, List<HttpClient> Clients)> _tenants;

    private MixedLoad(List<(TestTenant, string, TenantWorkload, List<HttpClient>)> tenants) => _tenants = tenants;

    public IReadOnlyList<TestTenant> Tenants => _tenants.Select(tenant => tenant.Tenant).ToList();

    public static async Task<MixedLoad> StartAsync(DistributedApplication app)
    {
        var replicas = await Replicas.BaseAddressesAsync(app, "api", 2);
        var tenants = new List<(TestTenant, string, TenantWorkload, List<HttpClient>)>();
        foreach (var plan in TestTenants.Plans)
        {
            var tenant = await TestTenants.CreateAsync(app, plan);
            var project = (await tenant.CreateProjectAsync("faults")).GetProperty("id").GetString()!;
            var clients = replicas.Select(replica => TestTenants.Authorized(replica, tenant.Token)).ToList();
            tenants.Add((tenant, project, TenantWorkload.Start(clients, project), clients));
        }
        var load = new MixedLoad(tenants);
        // Warm: every tenant answered on both replicas before anything is measured.
        await Task.WhenAll(tenants.Select(t => t.Item3.WaitForMoreAsync(10, 10, TimeSpan.FromSeconds(60))));
        return load;
    }

    /// <summary>Requests answered with a success between two instants, every tenant and replica together.</summary>
    public int AnsweredBetween(DateTimeOffset from, DateTimeOffset to) =>
        _tenants.Sum(tenant => tenant.Work.WritesBetween(from, to) + tenant.Work.ReadsBetween(from, to));

    public int FailuresBetween(DateTimeOffset from, DateTimeOffset to) => _tenants.Sum(tenant => tenant.Work.FailuresBetween(from, to));

    public IReadOnlyList<string> Failures => _tenants.SelectMany(tenant => tenant.Work.Failures).ToList();

    public long Acknowledged => _tenants.Sum(tenant => (long)tenant.Work.Acknowledged.Count);

    /// <summary>The pace over the last <paramref name="span"/>, in successes a second.</summary>
    public async Task<double> PaceAsync(TimeSpan span)
    {
        var from = DateTimeOffset.UtcNow;
        await Task.Delay(span);
        return AnsweredBetween(from, DateTimeOffset.UtcNow) / span.TotalSeconds;
    }

    /// <summary>Every tenant answered this many more reads and writes within the timeout: the service is back.</summary>
    public Task WaitForEveryTenantAsync(int requests, TimeSpan timeout) =>
        Task.WhenAll(_tenants.Select(tenant => tenant.Work.WaitForMoreAsync(requests, requests, timeout)));

    public async Task StopAsync()
    {
        foreach (var tenant in _tenants)
        {
            await tenant.Work.StopAsync();
        }
    }

    public void AssertNoRequestFailed() =>
        Assert.True(Failures.Count == 0, $"{Failures.Count} requests failed: {string.Join(" | ", Failures.Take(3))}");

    /// <summary>A fault may slow the load, to half its pace at most.</summary>
    public static void AssertAtLeastHalfThePace(double during, double normal, string fault) =>
        Assert.True(during >= normal / 2, $"{during:0} answered a second {fault}, under half of {normal:0} before");

    /// <summary>Every write that was acknowledged is there, as last written, in every tier.</summary>
    public async Task AssertNoAcknowledgedWriteLostAsync()
    {
        foreach (var (tenant, project, work, _) in _tenants)
        {
            await work.AssertEveryAcknowledgedWriteIsPresentAsync(tenant.Api, project);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (tenant, _, work, clients) in _tenants)
        {
            await work.DisposeAsync();
            clients.ForEach(client => client.Dispose());
            tenant.Dispose();
        }
    }
}
