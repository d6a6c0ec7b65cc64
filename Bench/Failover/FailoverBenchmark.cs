using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using TieredTenancy.Bench.Moves;

namespace TieredTenancy.Bench.Failover;

/// <summary>One kill's figures: when the survivor fenced the next attempt, when the move ended, and what the writers saw.</summary>
public sealed record FailoverMeasurement(
    string KilledIn,
    long Rows,
    string Status,
    int Attempts,
    TimeSpan KillToTakeover,
    TimeSpan KillToEnd,
    int Writes,
    double LongestWriteMs,
    int LostWrites,
    int Errors,
    IReadOnlyList<string> ErrorSamples);

/// <summary>
/// A large row tenant is moved to the schema tier twice while a writer per Api replica creates
/// tasks; each time the Provisioner replica running the move is killed (SIGKILL, by the pid its
/// claim names): once in the middle of the bulk copy (the survivor rolls the move back), once in
/// cleanup after the flip (the survivor finishes it).
/// </summary>
public static class FailoverBenchmark
{
    private static readonly (string Phase, string Plan, string Expected)[] Kills =
        [("copying", "business", "rolledBack"), ("cleaning-up", "business", "succeeded")];

    public static async Task<IReadOnlyList<FailoverMeasurement>> MeasureAsync(BenchStack stack, BenchOptions options)
    {
        using var admin = await stack.AdminClientAsync();
        var tenant = await SeededTenant.CreateAsync(stack, admin, options, "failover-bench");
        var measurements = new List<FailoverMeasurement>();
        foreach (var (phase, plan, expected) in Kills)
        {
            Console.Error.WriteLine($"failover: moving {tenant.Rows} rows to {plan}, killing the running replica in '{phase}' (expecting {expected})...");
            var writers = await WriterLoop.StartAsync(tenant.Replicas, tenant.Token, tenant.ProjectId);
            await Task.Delay(1000);
            using var started = await admin.PutAsJsonAsync($"/admin/tenants/{tenant.Id}/plan", new { plan, force = true });
            var location = started.Headers.Location?.ToString()
                ?? throw new InvalidOperationException($"The plan change answered {(int)started.StatusCode}: {await started.Content.ReadAsStringAsync()}");

            var (pid, killedAttempt) = await RunningReplicaInAsync(admin, location, phase);
            using (var process = Process.GetProcessById(pid))
            {
                process.Kill();
                await process.WaitForExitAsync();
            }
            var killedAt = DateTimeOffset.UtcNow;
            var clock = Stopwatch.StartNew();
            Console.Error.WriteLine($"failover:   killed pid {pid} (attempt {killedAttempt}) at {killedAt:HH:mm:ss.fff}");
            var (operation, _) = await MoveBenchmark.WaitAsync(admin, location, tenant.Id, tenant.Placement);
            var killToEnd = clock.Elapsed;
            await Task.Delay(1000);
            await writers.StopAsync();

            var attempts = (await admin.GetFromJsonAsync<JsonElement>($"{location}/attempts")).EnumerateArray().ToList();
            var takeover = attempts.Where(attempt => attempt.GetProperty("attempt").GetInt32() > killedAttempt)
                .Select(attempt => attempt.GetProperty("fencedAt")).FirstOrDefault(fenced => fenced.ValueKind == JsonValueKind.String);
            Console.Error.WriteLine($"failover:   attempts {JsonSerializer.Serialize(attempts)}");
            var now = BenchPlacement.From(await admin.GetFromJsonAsync<JsonElement>($"/admin/tenants/{tenant.Id}"));
            var present = await now.CountTasksAsync(stack, tenant.Id, writers.Acknowledged.ToList());
            measurements.Add(new FailoverMeasurement(phase, tenant.Rows, operation.GetProperty("status").GetString()!, attempts.Count,
                takeover.ValueKind == JsonValueKind.String ? takeover.GetDateTimeOffset() - killedAt : TimeSpan.MinValue, killToEnd,
                writers.Writes, writers.LongestMs, writers.Acknowledged.Count - (int)present, writers.Errors.Count, writers.Errors.Distinct().Take(3).ToList()));
            tenant = tenant with { Placement = now };
        }
        return measurements;
    }

    /// <summary>Waits until the move stands in <paramref name="phase"/> (in a copy: with some rows copied) and gives the pid and attempt of the replica running it.</summary>
    private static async Task<(int Pid, int Attempt)> RunningReplicaInAsync(HttpClient admin, string location, string phase)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromMinutes(10))
        {
            var operation = await admin.GetFromJsonAsync<JsonElement>(location);
            var status = operation.GetProperty("status").GetString();
            if (status is not ("pending" or "running"))
            {
                throw new InvalidOperationException($"The move ended {status} before it reached '{phase}': {operation}");
            }
            var progress = operation.TryGetProperty("progress", out var p) && p.ValueKind == JsonValueKind.Object ? p.GetProperty("done").GetInt64() : 0;
            if (operation.GetProperty("phase").GetString() == phase && (phase != "copying" || progress > 0))
            {
                var attempt = (await admin.GetFromJsonAsync<JsonElement>($"{location}/attempts")).EnumerateArray().Last();
                return (int.Parse(attempt.GetProperty("instance").GetString()!.Split('/')[1]), attempt.GetProperty("attempt").GetInt32());
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"The move did not reach '{phase}'.");
    }
}
