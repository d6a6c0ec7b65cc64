using System.Net;

namespace TieredTenancy.Bench;

/// <summary>A tier's cold path: each new tenant's first request on the replica, and the same request again once it is warm.</summary>
public sealed record ColdTier(ThroughputTier Tier, IReadOnlyList<double> FirstMs, IReadOnlyList<double> WarmMs)
{
    public LatencySummary First => LatencySummary.Of(FirstMs.ToList());

    public LatencySummary Warm => LatencySummary.Of(WarmMs.ToList());
}

/// <summary>
/// The first request of a tenant on a replica: tenants made (provisioned, given a client, a token and
/// a project of tasks) through another replica, then their task list asked of the measured replica,
/// which has never seen them: a token it has not validated, a registry entry it does not hold (in
/// Redis already, from the other replica), and for the database tier no pool to the tenant's database.
/// Then <see cref="WarmRequests"/> more of the same request, the warm figure beside it.
/// </summary>
public static class ColdPath
{
    public const int WarmRequests = 5;

    public static async Task<IReadOnlyList<ColdTier>> MeasureAsync(BenchStack stack, HttpClient admin, HttpClient measured, IReadOnlyList<ApiReplica> replicas,
        BenchOptions options, SlugSource slugs)
    {
        var other = replicas[^1];
        Console.Error.WriteLine($"  cold path: {options.ColdTenants} new tenant(s) per tier made through {other.ResourceId}, first request on {replicas[0].ResourceId}");
        using var maker = ApiThroughput.Client(other, 1);
        var tiers = new List<ColdTier>();
        foreach (var tier in ThroughputTiers.All)
        {
            var first = new List<double>();
            var warm = new List<double>();
            for (var index = 0; index < options.ColdTenants; index++)
            {
                var tenant = await ApiTenant.CreateAsync(stack, admin, maker, tier, slugs);
                first.Add(await TimeAsync(measured, tenant));
                var again = new List<double>();
                for (var request = 0; request < WarmRequests; request++)
                {
                    again.Add(await TimeAsync(measured, tenant));
                }
                warm.Add(Percentiles.Median(again));
            }
            tiers.Add(new ColdTier(tier, first, warm));
            Console.Error.WriteLine($"    {tier.Isolation}: first {string.Join(", ", first.Select(ms => $"{ms:0.0}"))} ms; warm {string.Join(", ", warm.Select(ms => $"{ms:0.0}"))} ms");
        }
        return tiers;
    }

    private static Task<double> TimeAsync(HttpClient api, ApiTenant tenant) => Timing.MillisecondsAsync(async () =>
    {
        using var request = tenant.TenancyRequest();
        using var response = await api.SendAsync(request, HttpCompletionOption.ResponseContentRead);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"'{tenant.Slug}': GET {tenant.TenancyPath} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    });
}
