using System.Globalization;
using System.Text;

namespace TieredTenancy.Bench;

/// <summary>The throughput table: per isolation, tenancy route against the plain baseline.</summary>
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
        Line(text, $"per isolation: one tenant, one project of {ApiTenant.TaskCount} tasks; loops interleaved tenancy, plain x {ApiThroughput.Rounds}; "
            + $"before any: every route and tier primed {ApiThroughput.Priming.TotalSeconds:0} s, not counted");
        Line(text, $"tenancy: GET /projects/{{id}}/tasks with the tenant's bearer token; plain: GET /plain/tenants/{{tenantId}}/projects/{{id}}/tasks (no token, no tenancy)");
        Line(text, "");

        string[] header = ["isolation", "plan", "tenancy rps", "plain rps", "ratio", "target", "result",
            "tenancy p50", "tenancy p95", "plain p50", "plain p95", "errors"];
        var rows = new List<string[]> { header };
        foreach (var tier in results.Tiers)
        {
            var tenancy = tier.TenancyLatency;
            var plain = tier.PlainLatency;
            rows.Add(
            [
                tier.Tier.Isolation, tier.Tier.Plan,
                Rps(tier.TenancyRps), Rps(tier.PlainRps),
                tier.Ratio.ToString("0.00", CultureInfo.InvariantCulture),
                $">= {tier.Tier.TargetRatio.ToString("0.00", CultureInfo.InvariantCulture)}",
                tier.Passes ? "PASS" : "MISS",
                Ms(tenancy.P50), Ms(tenancy.P95), Ms(plain.P50), Ms(plain.P95),
                tier.Errors.ToString(CultureInfo.InvariantCulture),
            ]);
        }

        var widths = Enumerable.Range(0, header.Length).Select(column => rows.Max(row => row[column].Length)).ToArray();
        foreach (var (row, index) in rows.Select((row, index) => (row, index)))
        {
            Line(text, string.Join("  ", row.Select((cell, column) => column is < 2 or 6 ? cell.PadRight(widths[column]) : cell.PadLeft(widths[column]))).TrimEnd());
            if (index == 0)
            {
                Line(text, string.Join("  ", widths.Select(width => new string('-', width))));
            }
        }
        Line(text, "");
        Line(text, "rps = median over the rounds of 200 responses completed in the measured window per second; ratio = tenancy rps / plain rps");
        Line(text, "latency in ms, send to body read, nearest-rank percentiles over every round's counted requests; errors = non-200 or failed requests, warm-up and priming included");
        foreach (var tier in results.Tiers)
        {
            Line(text, string.Create(CultureInfo.InvariantCulture, $"rounds {tier.Tier.Isolation}: tenancy {Rounds(tier.Tenancy)}; plain {Rounds(tier.Plain)}"));
            foreach (var error in tier.Priming.Concat(tier.Tenancy).Concat(tier.Plain).SelectMany(loop => loop.ErrorSamples.Select(sample => $"{loop.Label}: {sample}")))
            {
                Line(text, $"error {error}");
            }
        }
        return text.ToString();
    }

    private static string Rounds(IEnumerable<LoadResult> loops) =>
        string.Join(", ", loops.Select(loop => Rps(loop.RequestsPerSecond)));

    private static string Rps(double rps) => rps.ToString("0.0", CultureInfo.InvariantCulture);

    private static string Ms(double milliseconds) => milliseconds.ToString(milliseconds < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture);

    private static void Line(StringBuilder text, string line) => text.Append(line).Append('\n');
}
