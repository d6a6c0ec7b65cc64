using System.Globalization;
using System.Text;

namespace TieredTenancy.Bench;

/// <summary>The benchmark's one table: admin-API latency per isolation next to the raw PostgreSQL cost.</summary>
public static class Report
{
    public static string Render(BenchStack stack, BenchOptions options, IReadOnlyDictionary<Tier, IReadOnlyList<double>> api, RawCosts raw)
    {
        var text = new StringBuilder();
        Line(text, $"TieredTenancy provisioning benchmark ({DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC; {BuildInfo.Configuration}; {Environment.ProcessorCount} cores; PostgreSQL {raw.ServerVersion}; Local mode, ephemeral)");
        Line(text, $"cold start, CreateAsync -> every resource healthy (servers, cache, provisioner, every api replica): {stack.ColdStart.TotalSeconds:0.0} s");
        Line(text, $"admin API: POST /admin/tenants, sequential, {options.WarmupsPerPlan} warm-up per plan not counted; "
            + $"raw: plain Npgsql as superuser, one pooled connection, {options.WarmupsPerPlan} warm-up not counted");
        Line(text, $"raw schema work: CREATE ROLE + CREATE SCHEMA + {raw.SchemaScript.Tables} tables + {raw.SchemaScript.Indexes} indexes (EF migration SQL), one transaction");
        Line(text, "");

        string[] header = ["isolation", "plan", "n", "API p50", "API p95", "API max", "target p95", "result", "raw n", "raw p50", "raw p95", "API/raw p50"];
        var rows = new List<string[]> { header };
        foreach (var tier in Tiers.All)
        {
            var a = LatencySummary.Of(api[tier].ToList());
            var r = LatencySummary.Of(raw.ByTier[tier].ToList());
            rows.Add(
            [
                tier.Isolation, tier.Plan, a.Count.ToString(CultureInfo.InvariantCulture),
                Ms(a.P50), Ms(a.P95), Ms(a.Max),
                $"<= {tier.TargetP95Ms.ToString(CultureInfo.InvariantCulture)} ms", a.P95 <= tier.TargetP95Ms ? "PASS" : "MISS",
                r.Count.ToString(CultureInfo.InvariantCulture), Ms(r.P50), Ms(r.P95),
                (a.P50 / r.P50).ToString("0.0", CultureInfo.InvariantCulture) + "x",
            ]);
        }

        TextTable.Append(text, rows, 0, 1, 7);
        Line(text, "");
        Line(text, "times in ms; percentiles are nearest-rank; API = request sent to 201 response read, through Aspire's endpoint proxy");
        return text.ToString();
    }

    private static string Ms(double milliseconds) => milliseconds.ToString(milliseconds < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture);

    private static void Line(StringBuilder text, string line) => text.Append(line).Append('\n');
}
