using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace TieredTenancy.Bench.Moves;

/// <summary>One direction's figures: the move against the raw copy of the same rows, and what its writers saw.</summary>
public sealed record MoveMeasurement(
    string From,
    string To,
    long Rows,
    TimeSpan Raw,
    TimeSpan ToFlip,
    TimeSpan Total,
    double FreezeMs,
    int Writes,
    double LongestWriteMs,
    int LostWrites,
    int Errors,
    IReadOnlyList<string> ErrorSamples,
    string Status);

/// <summary>
/// Moves one large tenant row → schema → database → row (a plan change each time) while a writer
/// per Api replica creates tasks, and measures, per direction, the raw binary copy of the same rows
/// just before the move, in the same run.
/// </summary>
public static class MoveBenchmark
{
    private static readonly (string Plan, string Tier)[] Route = [("business", "schema"), ("enterprise", "database"), ("pro", "row")];

    public static async Task<IReadOnlyList<MoveMeasurement>> MeasureAsync(BenchStack stack, BenchOptions options)
    {
        using var admin = await stack.AdminClientAsync();
        var seeded = await SeededTenant.CreateAsync(stack, admin, options, "move-bench");
        var (tenantId, rows, token, replicas, projectId) = (seeded.Id, seeded.Rows, seeded.Token, seeded.Replicas, seeded.ProjectId);
        var placement = seeded.Placement;

        var measurements = new List<MoveMeasurement>();
        var from = "row";
        foreach (var (plan, tier) in Route)
        {
            var targetServer = tier == "database" ? "postgres-dedicated" : BenchPlacement.SharedServer;
            Console.Error.WriteLine($"moves: raw copy {from} -> {tier}...");
            var raw = await RawCopy.MeasureAsync(stack, tenantId, placement, targetServer, "tt_template");

            Console.Error.WriteLine($"moves: moving {from} -> {tier} ({rows} rows) with writers on {replicas.Count} replicas...");
            var writers = await WriterLoop.StartAsync(replicas, token, projectId);
            await Task.Delay(1000);
            var clock = Stopwatch.StartNew();
            using var started = await admin.PutAsJsonAsync($"/admin/tenants/{tenantId}/plan", new { plan, force = true });
            var location = started.Headers.Location?.ToString()
                ?? throw new InvalidOperationException($"The plan change answered {(int)started.StatusCode}: {await started.Content.ReadAsStringAsync()}");
            var (operation, toFlip) = await WaitAsync(admin, location, tenantId, placement);
            var total = clock.Elapsed;
            await Task.Delay(1000);
            await writers.StopAsync();

            foreach (var slow in writers.Slow)
            {
                Console.Error.WriteLine($"moves:   slow write ended {slow.At:HH:mm:ss.fff} after {slow.Ms:0} ms");
            }
            Console.Error.WriteLine($"moves:   phases {operation.GetProperty("phases")}");
            var moved = BenchPlacement.From(await admin.GetFromJsonAsync<JsonElement>($"/admin/tenants/{tenantId}"));
            var present = await moved.CountTasksAsync(stack, tenantId, writers.Acknowledged.ToList());
            measurements.Add(new MoveMeasurement(from, tier, rows, raw, toFlip ?? total, total,
                operation.GetProperty("report").TryGetProperty("freezeMilliseconds", out var freeze) && freeze.ValueKind == JsonValueKind.Number ? freeze.GetDouble() : double.NaN,
                writers.Writes, writers.LongestMs, writers.Acknowledged.Count - (int)present, writers.Errors.Count,
                writers.Errors.Distinct().Take(3).ToList(), operation.GetProperty("status").GetString()!));
            placement = moved;
            from = tier;
        }
        return measurements;
    }

    /// <summary>Polls the operation to its end; also notes when the registry first names the new placement (the flip).</summary>
    public static async Task<(JsonElement Operation, TimeSpan? ToFlip)> WaitAsync(HttpClient admin, string location, Guid tenantId, BenchPlacement source)
    {
        var clock = Stopwatch.StartNew();
        TimeSpan? flipped = null;
        while (true)
        {
            var operation = await admin.GetFromJsonAsync<JsonElement>(location);
            if (flipped is null && BenchPlacement.From(await admin.GetFromJsonAsync<JsonElement>($"/admin/tenants/{tenantId}")) != source)
            {
                flipped = clock.Elapsed;
            }
            if (operation.GetProperty("status").GetString() is not ("pending" or "running"))
            {
                return (operation, flipped);
            }
            if (clock.Elapsed > TimeSpan.FromMinutes(15))
            {
                throw new TimeoutException($"The move did not end: {operation}");
            }
            await Task.Delay(100);
        }
    }
}
