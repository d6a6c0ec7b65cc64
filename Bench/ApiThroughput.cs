using System.Globalization;

namespace TieredTenancy.Bench;

/// <summary>One tier's loops: tenancy and plain, interleaved, <see cref="ApiThroughput.Rounds"/> of each.</summary>
/// <param name="Priming">The untimed loops that brought both routes' code paths up to speed before any measurement.</param>
public sealed record TierThroughput(ApiTenant Tenant, IReadOnlyList<LoadResult> Priming, IReadOnlyList<LoadResult> Tenancy, IReadOnlyList<LoadResult> Plain)
{
    public ThroughputTier Tier => Tenant.Tier;

    public double TenancyRps => Percentiles.Median(Tenancy.Select(loop => loop.RequestsPerSecond).ToList());

    public double PlainRps => Percentiles.Median(Plain.Select(loop => loop.RequestsPerSecond).ToList());

    public double Ratio => TenancyRps / PlainRps;

    public bool Passes => Ratio >= Tier.TargetRatio;

    /// <summary>Over every round's counted requests.</summary>
    public LatencySummary TenancyLatency => LatencySummary.Of(Tenancy.SelectMany(loop => loop.LatenciesMs).ToList());

    public LatencySummary PlainLatency => LatencySummary.Of(Plain.SelectMany(loop => loop.LatenciesMs).ToList());

    public int Errors => Priming.Concat(Tenancy).Concat(Plain).Sum(loop => loop.Errors);
}

public sealed record ThroughputResults(ApiReplica Replica, BenchOptions Options, IReadOnlyList<TierThroughput> Tiers);

/// <summary>
/// Api request throughput per isolation: requests per second of a tenant's task list through the
/// tenancy route (bearer token, resolution, isolation binding) next to the plain baseline route (same
/// query, same data, same process, no tenancy), sent straight to one Api replica.
/// </summary>
public static class ApiThroughput
{
    public const int Rounds = 2;

    /// <summary>Untimed load per route and tier before the first measurement.</summary>
    public static readonly TimeSpan Priming = TimeSpan.FromSeconds(3);

    public static async Task<ThroughputResults> MeasureAsync(BenchStack stack, BenchOptions options)
    {
        var replica = await ApiReplica.FindAsync(stack.App, BenchStack.Timeout);
        Console.Error.WriteLine($"  api throughput: replica {replica.ResourceId} at {replica.BaseAddress} (direct, not through the proxy)");

        // One client for every loop: as many pooled connections as workers, kept open throughout.
        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = options.Concurrency,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            UseCookies = false,
            UseProxy = false,
        };
        using var api = new HttpClient(handler) { BaseAddress = replica.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        using var admin = await stack.AdminClientAsync();
        var slugs = new SlugSource();
        var measured = TimeSpan.FromSeconds(options.Seconds);

        var tenants = new List<ApiTenant>();
        foreach (var tier in ThroughputTiers.All)
        {
            tenants.Add(await ApiTenant.CreateAsync(stack, admin, api, tier, slugs));
            Console.Error.WriteLine($"  api throughput: '{tenants[^1].Slug}' ({tier.Isolation}), one project of {ApiTenant.TaskCount} tasks");
        }

        // Every route and tier once, untimed, before any measurement: on two busy cores the Api's JIT
        // tiering takes longer than one loop's warm-up, and would otherwise slow only the first tier measured.
        Console.Error.WriteLine($"  api throughput: priming, {Priming.TotalSeconds:0} s per route and tier, not counted");
        var priming = new Dictionary<ApiTenant, List<LoadResult>>();
        foreach (var tenant in tenants)
        {
            priming[tenant] =
            [
                Log(await LoadLoop.RunAsync($"{tenant.Tier.Isolation} tenancy priming", api, tenant.TenancyRequest, options.Concurrency, Priming, TimeSpan.Zero)),
                Log(await LoadLoop.RunAsync($"{tenant.Tier.Isolation} plain priming", api, tenant.PlainRequest, options.Concurrency, Priming, TimeSpan.Zero)),
            ];
        }

        var tiers = new List<TierThroughput>();
        foreach (var tenant in tenants)
        {
            var tier = tenant.Tier;
            Console.Error.WriteLine($"  api throughput: {tier.Isolation}, {Rounds} x (tenancy, plain), "
                + $"{LoadLoop.WarmUp.TotalSeconds:0} s warm-up + {options.Seconds} s each, {options.Concurrency} workers");
            var tenancy = new List<LoadResult>();
            var plain = new List<LoadResult>();
            for (var round = 1; round <= Rounds; round++)
            {
                tenancy.Add(Log(await LoadLoop.RunAsync($"{tier.Isolation} tenancy #{round}", api, tenant.TenancyRequest, options.Concurrency, measured)));
                plain.Add(Log(await LoadLoop.RunAsync($"{tier.Isolation} plain #{round}", api, tenant.PlainRequest, options.Concurrency, measured)));
            }
            tiers.Add(new TierThroughput(tenant, priming[tenant], tenancy, plain));
        }
        return new ThroughputResults(replica, options, tiers);
    }

    private static LoadResult Log(LoadResult loop)
    {
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"    {loop.Label}: {loop.RequestsPerSecond:0.0} rps ({loop.Requests} requests), {loop.Errors} error(s)"));
        foreach (var error in loop.ErrorSamples)
        {
            Console.Error.WriteLine($"      error: {error}");
        }
        return loop;
    }
}
