using System.Globalization;

namespace TieredTenancy.Bench;

/// <summary>
/// One kind of request (reads or writes) of one tier: the tenancy route's loops and the plain
/// baseline's, paired by round. Each round's ratio compares two loops run back to back, so a slow
/// moment of the shared machine weighs on both sides of one ratio rather than on one side of the median.
/// </summary>
public sealed record RouteComparison(string Kind, double TargetRatio, IReadOnlyList<LoadResult> Tenancy, IReadOnlyList<LoadResult> Plain)
{
    public IReadOnlyList<double> RoundRatios => Tenancy.Zip(Plain, (tenancy, plain) => tenancy.RequestsPerSecond / plain.RequestsPerSecond).ToList();

    /// <summary>The median of the rounds' ratios.</summary>
    public double Ratio => Percentiles.Median(RoundRatios);

    public double MinRatio => RoundRatios.Min();

    public double MaxRatio => RoundRatios.Max();

    public double TenancyRps => Percentiles.Median(Tenancy.Select(loop => loop.RequestsPerSecond).ToList());

    public double PlainRps => Percentiles.Median(Plain.Select(loop => loop.RequestsPerSecond).ToList());

    public bool Passes => Ratio >= TargetRatio;

    /// <summary>Over every round's counted requests.</summary>
    public LatencySummary TenancyLatency => LatencySummary.Of(Tenancy.SelectMany(loop => loop.LatenciesMs).ToList());

    public LatencySummary PlainLatency => LatencySummary.Of(Plain.SelectMany(loop => loop.LatenciesMs).ToList());

    public int Errors => Tenancy.Concat(Plain).Sum(loop => loop.Errors);

    /// <summary>Medians over the rounds of the Api's and PostgreSQL's CPU per request (microseconds), tenancy and plain; null when not measured.</summary>
    public (double Api, double Postgres)? TenancyCpuUs => CpuPerRequest(Tenancy);

    public (double Api, double Postgres)? PlainCpuUs => CpuPerRequest(Plain);

    private static (double Api, double Postgres)? CpuPerRequest(IReadOnlyList<LoadResult> loops) =>
        loops.Any(loop => loop.Cpu is null || loop.Requests == 0)
            ? null
            : (Percentiles.Median(loops.Select(loop => loop.ApiCpuPerRequestUs!.Value).ToList()),
                Percentiles.Median(loops.Select(loop => loop.PostgresCpuPerRequestUs!.Value).ToList()));
}

/// <summary>One tier's loops: reads and writes, each tenancy and plain, interleaved over the rounds.</summary>
/// <param name="Priming">The untimed loops that brought every route's code path up to speed before any measurement.</param>
public sealed record TierThroughput(ApiTenant Tenant, IReadOnlyList<LoadResult> Priming, RouteComparison Reads, RouteComparison Writes)
{
    public ThroughputTier Tier => Tenant.Tier;

    public IEnumerable<LoadResult> Loops => Priming.Concat(Reads.Tenancy).Concat(Reads.Plain).Concat(Writes.Tenancy).Concat(Writes.Plain);

    public int Errors => Loops.Sum(loop => loop.Errors);
}

public sealed record ThroughputResults(ApiReplica Replica, BenchOptions Options, IReadOnlyList<TierThroughput> Tiers, IReadOnlyList<ColdTier> Cold);

/// <summary>
/// Api request throughput per isolation: requests per second of a tenant's task list (reads) and of
/// new tasks (writes) through the tenancy route (bearer token, resolution, isolation binding) next to
/// the plain baseline routes (same work, same data, same process, no tenancy), sent straight to one
/// Api replica; then the cold path of new tenants on that replica (see <see cref="ColdPath"/>).
/// </summary>
public static class ApiThroughput
{
    /// <summary>Untimed load per route and tier before the first measurement.</summary>
    public static readonly TimeSpan Priming = TimeSpan.FromSeconds(3);

    public static async Task<ThroughputResults> MeasureAsync(BenchStack stack, BenchOptions options)
    {
        var replicas = await ApiReplica.AllAsync(stack.App, BenchStack.Timeout);
        var replica = replicas[0];
        Console.Error.WriteLine($"  api throughput: replica {replica.ResourceId} at {replica.BaseAddress} (direct, not through the proxy)");

        using var api = Client(replica, options.Concurrency);
        var cpu = CpuMeter.ForReplica(replica);
        using var admin = await stack.AdminClientAsync();
        var slugs = new SlugSource();
        var measured = TimeSpan.FromSeconds(options.Seconds);

        var tenants = new List<ApiTenant>();
        foreach (var tier in ThroughputTiers.All)
        {
            tenants.Add(await ApiTenant.CreateAsync(stack, admin, api, tier, slugs));
            Console.Error.WriteLine($"  api throughput: '{tenants[^1].Slug}' ({tier.Isolation}), one project of {ApiTenant.TaskCount} tasks, one for writes");
        }

        // Every route and tier once, untimed, before any measurement: on two busy cores the Api's JIT
        // tiering takes longer than one loop's warm-up, and would otherwise slow only the first tier measured.
        Console.Error.WriteLine($"  api throughput: priming, {Priming.TotalSeconds:0} s per route and tier, not counted");
        var priming = new Dictionary<ApiTenant, List<LoadResult>>();
        foreach (var tenant in tenants)
        {
            priming[tenant] = [];
            foreach (var route in ApiRoutes.All)
            {
                priming[tenant].Add(Log(await LoadLoop.RunAsync($"{tenant.Tier.Isolation} {route.Name()} priming", api, tenant.Request(route),
                    options.Concurrency, Priming, TimeSpan.Zero)));
            }
        }

        var tiers = new List<TierThroughput>();
        foreach (var tenant in tenants)
        {
            var tier = tenant.Tier;
            Console.Error.WriteLine($"  api throughput: {tier.Isolation}, {options.Rounds} rounds of reads and writes, tenancy and plain, "
                + $"{LoadLoop.WarmUp.TotalSeconds:0} s warm-up + {options.Seconds} s each, {options.Concurrency} workers");
            var loops = ApiRoutes.All.ToDictionary(route => route, _ => new List<LoadResult>());
            for (var round = 1; round <= options.Rounds; round++)
            {
                foreach (var route in RoundOrder(round))
                {
                    loops[route].Add(Log(await LoadLoop.RunAsync($"{tier.Isolation} {route.Name()} #{round}", api, tenant.Request(route),
                        options.Concurrency, measured, cpu: cpu)));
                }
            }
            tiers.Add(new TierThroughput(tenant, priming[tenant],
                new RouteComparison("reads", tier.ReadTarget, loops[ApiRoute.TenancyRead], loops[ApiRoute.PlainRead]),
                new RouteComparison("writes", tier.WriteTarget, loops[ApiRoute.TenancyWrite], loops[ApiRoute.PlainWrite])));
        }

        var cold = await ColdPath.MeasureAsync(stack, admin, api, replicas, options, slugs);
        return new ThroughputResults(replica, options, tiers, cold);
    }

    /// <summary>Each round runs every route once; odd rounds tenancy first, even rounds plain first, so neither side always runs later.</summary>
    public static IReadOnlyList<ApiRoute> RoundOrder(int round) => round % 2 == 1
        ? [ApiRoute.TenancyRead, ApiRoute.PlainRead, ApiRoute.TenancyWrite, ApiRoute.PlainWrite]
        : [ApiRoute.PlainRead, ApiRoute.TenancyRead, ApiRoute.PlainWrite, ApiRoute.TenancyWrite];

    /// <summary>One client for every loop: as many pooled connections as workers, kept open throughout.</summary>
    public static HttpClient Client(ApiReplica replica, int concurrency) =>
        new(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = concurrency,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            UseCookies = false,
            UseProxy = false,
        }) { BaseAddress = replica.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

    private static LoadResult Log(LoadResult loop)
    {
        var cpu = loop.Cpu is null
            ? ""
            : string.Create(CultureInfo.InvariantCulture, $", CPU per request: Api {loop.ApiCpuPerRequestUs:0} us, PostgreSQL {loop.PostgresCpuPerRequestUs:0} us");
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"    {loop.Label}: {loop.RequestsPerSecond:0.0} rps ({loop.Requests} requests), {loop.Errors} error(s){cpu}"));
        foreach (var error in loop.ErrorSamples)
        {
            Console.Error.WriteLine($"      error: {error}");
        }
        return loop;
    }
}
