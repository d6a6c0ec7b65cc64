using System.Globalization;
using System.Text;

namespace TieredTenancy.Bench;

/// <summary>The throughput tables: per isolation, reads and writes through tenancy against the plain baseline; then the cold path.</summary>
public static class ThroughputReport
{
    public static string Render(ThroughputResults results)
    {
        var options = results.Options;
        var text = new StringBuilder();
        Line(text, $"TieredTenancy Api throughput benchmark ({DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC; {BuildInfo.Configuration}; "
            + $"{Environment.ProcessorCount} cores; Local mode, ephemeral)");
        Line(text, $"target: one Api replica directly, {results.Replica.ResourceId} at {results.Replica.BaseAddress} (not through Aspire's proxy)");
        Line(text, $"load: {options.Concurrency} concurrent workers, one HttpClient (SocketsHttpHandler, MaxConnectionsPerServer {options.Concurrency}); "
            + $"per loop {LoadLoop.WarmUp.TotalSeconds:0} s warm-up not counted + {options.Seconds} s measured");
        Line(text, $"per isolation: one tenant, one project of {ApiTenant.TaskCount} tasks (reads) and one that the writes add tasks to; "
            + $"{options.Rounds} rounds, each tenancy and plain of reads then writes (odd rounds tenancy first, even rounds plain first); "
            + $"before any: every route and tier primed {ApiThroughput.Priming.TotalSeconds:0} s, not counted");
        Line(text, "reads: GET /projects/{id}/tasks with the tenant's bearer token; plain: GET /plain/tenants/{tenantId}/projects/{id}/tasks (no token, no tenancy)");
        Line(text, "writes: POST /projects/{id}/tasks (a task and its audit entry); plain: POST /plain/tenants/{tenantId}/projects/{id}/tasks (the same, no tenancy)");
        Line(text, "");

        string[] header = ["isolation", "plan", "kind", "tenancy rps", "plain rps", "ratio", "spread", "target", "result",
            "tenancy p50", "tenancy p95", "plain p50", "plain p95", "errors"];
        var rows = new List<string[]> { header };
        foreach (var tier in results.Tiers)
        {
            foreach (var comparison in new[] { tier.Reads, tier.Writes })
            {
                var tenancy = comparison.TenancyLatency;
                var plain = comparison.PlainLatency;
                rows.Add(
                [
                    tier.Tier.Isolation, tier.Tier.Plan, comparison.Kind,
                    Rps(comparison.TenancyRps), Rps(comparison.PlainRps),
                    Ratio(comparison.Ratio), $"{Ratio(comparison.MinRatio)}-{Ratio(comparison.MaxRatio)}",
                    $">= {Ratio(comparison.TargetRatio)}",
                    comparison.Passes ? "PASS" : "MISS",
                    Ms(tenancy.P50), Ms(tenancy.P95), Ms(plain.P50), Ms(plain.P95),
                    comparison.Errors.ToString(CultureInfo.InvariantCulture),
                ]);
            }
        }
        TextTable.Append(text, rows, 0, 1, 2, 8);
        Line(text, "");
        Line(text, "");
        Line(text, "CPU per counted request in us, median over the rounds (the measured replica's process; every PostgreSQL process of the stack):");
        string[] cpuHeader = ["isolation", "kind", "tenancy Api", "plain Api", "Api +", "tenancy PostgreSQL", "plain PostgreSQL", "PostgreSQL +"];
        var cpuRows = new List<string[]> { cpuHeader };
        foreach (var tier in results.Tiers)
        {
            foreach (var comparison in new[] { tier.Reads, tier.Writes })
            {
                if (comparison.TenancyCpuUs is { } tenancy && comparison.PlainCpuUs is { } plain)
                {
                    cpuRows.Add([tier.Tier.Isolation, comparison.Kind, Us(tenancy.Api), Us(plain.Api), Us(tenancy.Api - plain.Api),
                        Us(tenancy.Postgres), Us(plain.Postgres), Us(tenancy.Postgres - plain.Postgres)]);
                }
            }
        }
        if (cpuRows.Count > 1)
        {
            TextTable.Append(text, cpuRows, 0, 1);
        }
        Line(text, "");
        Line(text, "ratio = median over the rounds of (tenancy rps / plain rps) of the round; spread = the lowest and highest round's ratio;");
        Line(text, "rps = median over the rounds of 2xx responses completed in the measured window per second");
        Line(text, "latency in ms, send to body read, nearest-rank percentiles over every round's counted requests; errors = other answers or failed requests, warm-up included");
        foreach (var tier in results.Tiers)
        {
            foreach (var comparison in new[] { tier.Reads, tier.Writes })
            {
                Line(text, $"rounds {tier.Tier.Isolation} {comparison.Kind}: tenancy {Rounds(comparison.Tenancy)}; plain {Rounds(comparison.Plain)}; "
                    + $"ratios {string.Join(", ", comparison.RoundRatios.Select(Ratio))}");
            }
            foreach (var error in tier.Loops.SelectMany(loop => loop.ErrorSamples.Select(sample => $"{loop.Label}: {sample}")))
            {
                Line(text, $"error {error}");
            }
        }

        Line(text, "");
        Line(text, $"cold path: per tier {options.ColdTenants} new tenant(s) made through another replica; their first GET /projects/{{id}}/tasks on the measured replica "
            + $"(a token it has not validated, no registry entry in process, for the database tier no pool yet), then the median of {ColdPath.WarmRequests} more");
        Line(text, "");
        string[] coldHeader = ["isolation", "plan", "first p50", "first max", "warm p50", "first - warm (p50)"];
        var coldRows = new List<string[]> { coldHeader };
        foreach (var cold in results.Cold)
        {
            coldRows.Add([cold.Tier.Isolation, cold.Tier.Plan, Ms(cold.First.P50), Ms(cold.First.Max), Ms(cold.Warm.P50), Ms(cold.First.P50 - cold.Warm.P50)]);
        }
        TextTable.Append(text, coldRows, 0, 1);
        Line(text, "");
        Line(text, "cold path times in ms, send to body read, one request at a time");
        return text.ToString();
    }

    private static string Rounds(IEnumerable<LoadResult> loops) =>
        string.Join(", ", loops.Select(loop => Rps(loop.RequestsPerSecond)));

    private static string Ratio(double ratio) => ratio.ToString("0.00", CultureInfo.InvariantCulture);

    private static string Us(double microseconds) => microseconds.ToString("0", CultureInfo.InvariantCulture);

    private static string Rps(double rps) => rps.ToString("0.0", CultureInfo.InvariantCulture);

    private static string Ms(double milliseconds) => milliseconds.ToString(milliseconds < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture);

    private static void Line(StringBuilder text, string line) => text.Append(line).Append('\n');
}
