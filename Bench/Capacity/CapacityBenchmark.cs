using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;

namespace TieredTenancy.Bench.Capacity;

/// <summary>
/// Noisy neighbour: a business tenant's read p95 on one replica alone, then while a free tenant
/// sends ten times its plan's rate at the same replica (its share of 429s beside). And the sweep:
/// many database tenants on one dedicated server, each read once on each replica, against the
/// server's connection budget (errors, wall time, peak backends of tenant logins).
/// </summary>
public static class CapacityBenchmark
{
    public sealed record NoisyNeighbour(double QuietP95Ms, double NoisyP95Ms, int QuietRequests, int NoisyRequests, int FreeSent, int FreeRefused);

    public sealed record Sweep(int Tenants, int Reads, int Errors, TimeSpan ProvisionTime, TimeSpan ReadTime, long PeakBackends, int Budget,
        IReadOnlyList<string> ErrorSamples);

    public static async Task<NoisyNeighbour> NoisyNeighbourAsync(BenchStack stack, BenchOptions options)
    {
        using var admin = await stack.AdminClientAsync();
        var replica = (await ApiReplica.AllAsync(stack.App, BenchStack.Timeout))[0].BaseAddress;
        var (business, project) = await TenantAsync(stack, admin, replica, "business", withProject: true);
        var (free, _) = await TenantAsync(stack, admin, replica, "free", withProject: false);
        var freeRate = (await admin.GetFromJsonAsync<JsonElement>("/admin/plans")).EnumerateArray()
            .Single(plan => plan.GetProperty("name").GetString() == "free").GetProperty("limits").GetProperty("requestsPerMinute").GetInt32() / 60.0;
        var measured = TimeSpan.FromSeconds(options.Seconds);

        // Two readers pausing 50 ms (at most 40 requests a second): inside the business plan's own 50 a second, so what moves its p95 is the neighbour.
        async Task<List<double>> ReadAsync(CancellationToken stop)
        {
            var latencies = new ConcurrentBag<double>();
            await Task.WhenAll(Enumerable.Range(0, 2).Select(async _ =>
            {
                using var client = Client(replica, business);
                while (!stop.IsCancellationRequested)
                {
                    var clock = Stopwatch.StartNew();
                    using var response = await client.GetAsync($"/projects/{project}/tasks");
                    latencies.Add(clock.Elapsed.TotalMilliseconds);
                    response.EnsureSuccessStatusCode();
                    await Task.Delay(50);
                }
            }));
            return latencies.ToList();
        }

        using (var warm = new CancellationTokenSource(TimeSpan.FromSeconds(2)))
        {
            await ReadAsync(warm.Token);
        }
        List<double> quiet;
        using (var stop = new CancellationTokenSource(measured))
        {
            quiet = await ReadAsync(stop.Token);
        }

        int sent = 0, refused = 0;
        List<double> noisy;
        using (var stop = new CancellationTokenSource(measured))
        {
            var flood = Task.Run(async () =>
            {
                using var client = Client(replica, free);
                var interval = TimeSpan.FromSeconds(1 / (freeRate * 10));
                var next = Stopwatch.StartNew();
                var due = TimeSpan.Zero;
                var inFlight = new List<Task>();
                while (!stop.IsCancellationRequested)
                {
                    inFlight.Add(Task.Run(async () =>
                    {
                        using var response = await client.GetAsync("/projects");
                        Interlocked.Increment(ref sent);
                        if (response.StatusCode == HttpStatusCode.TooManyRequests)
                        {
                            Interlocked.Increment(ref refused);
                        }
                    }));
                    due += interval;
                    var wait = due - next.Elapsed;
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait);
                    }
                }
                await Task.WhenAll(inFlight);
            });
            noisy = await ReadAsync(stop.Token);
            await flood;
        }
        return new NoisyNeighbour(Percentiles.Of(quiet, 0.95), Percentiles.Of(noisy, 0.95), quiet.Count, noisy.Count, sent, refused);
    }

    public static async Task<Sweep> SweepAsync(BenchStack stack, BenchOptions options, int budget)
    {
        using var admin = await stack.AdminClientAsync();
        var replicas = await ApiReplica.BaseAddressesAsync(stack.App, BenchStack.Timeout);
        var provisioning = Stopwatch.StartNew();
        var tokens = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, options.SweepTenants), new ParallelOptions { MaxDegreeOfParallelism = 1 }, async (_, _) =>
        {
            var (token, _) = await TenantAsync(stack, admin, null, "enterprise", withProject: false);
            tokens.Add(token);
        });
        provisioning.Stop();

        await using var server = new NpgsqlConnection(await stack.ConnectionStringAsync("postgres-dedicated"));
        await server.OpenAsync();
        using var watching = new CancellationTokenSource();
        var peakTask = Task.Run(async () =>
        {
            long peak = 0;
            while (!watching.IsCancellationRequested)
            {
                await using var count = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE usename LIKE 'tdb\\_%'", server);
                peak = Math.Max(peak, (long)(await count.ExecuteScalarAsync())!);
                await Task.Delay(50);
            }
            return peak;
        });

        var errors = new ConcurrentBag<string>();
        var reads = tokens.SelectMany(token => replicas.Select(replica => (token, replica))).ToList();
        var clients = replicas.ToDictionary(replica => replica, replica => new HttpClient { BaseAddress = replica });
        var reading = Stopwatch.StartNew();
        await Parallel.ForEachAsync(reads, new ParallelOptions { MaxDegreeOfParallelism = options.Concurrency }, async (read, cancellationToken) =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/projects") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", read.token) } };
            using var response = await clients[read.replica].SendAsync(request, cancellationToken);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                errors.Add($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
            }
        });
        reading.Stop();
        await watching.CancelAsync();
        var peakBackends = await peakTask;
        foreach (var client in clients.Values)
        {
            client.Dispose();
        }
        return new Sweep(tokens.Count, reads.Count, errors.Count, provisioning.Elapsed, reading.Elapsed, peakBackends, budget, errors.Take(5).ToList());
    }

    private static async Task<(string Token, Guid Project)> TenantAsync(BenchStack stack, HttpClient admin, Uri? replica, string plan, bool withProject)
    {
        var slug = $"cap-{plan[..3]}-{Guid.NewGuid():N}"[..30];
        var tenant = await Json(await admin.PostAsJsonAsync("/admin/tenants", new { slug, name = slug, plan }));
        var client = await Json(await admin.PostAsJsonAsync($"/admin/tenants/{tenant.GetProperty("id").GetString()}/clients", new { name = "bench", role = "admin" }));
        var token = await stack.TokenAsync(client.GetProperty("clientId").GetString()!, client.GetProperty("clientSecret").GetString()!);
        if (!withProject)
        {
            return (token, Guid.Empty);
        }
        using var api = Client(replica!, token);
        var project = (await Json(await api.PostAsJsonAsync("/projects", new { name = "bench" }))).GetProperty("id").GetGuid();
        for (var n = 1; n <= 50; n++)
        {
            await Json(await api.PostAsJsonAsync($"/projects/{project}/tasks", new { title = $"task {n}" }));
        }
        return (token, project);
    }

    private static HttpClient Client(Uri replica, string token) =>
        new() { BaseAddress = replica, DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", token) } };

    private static async Task<JsonElement> Json(HttpResponseMessage response)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"{response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}: {body}");
            }
            return JsonDocument.Parse(body).RootElement.Clone();
        }
    }

    public static string Render(NoisyNeighbour? noisy, Sweep? sweep)
    {
        var text = new System.Text.StringBuilder();
        if (noisy is not null)
        {
            text.AppendLine("Noisy neighbour (one replica): business tenant GET /projects/{id}/tasks, 2 readers");
            text.AppendLine($"  p95 alone {noisy.QuietP95Ms:0.0} ms ({noisy.QuietRequests} reads), with a free tenant at 10x its rate {noisy.NoisyP95Ms:0.0} ms ({noisy.NoisyRequests} reads)");
            text.AppendLine($"  ratio {noisy.NoisyP95Ms / noisy.QuietP95Ms:0.00} (target <= 1.2); free tenant: {noisy.FreeSent} sent, {noisy.FreeRefused} answered 429 ({100.0 * noisy.FreeRefused / Math.Max(1, noisy.FreeSent):0.0} %)");
        }
        if (sweep is not null)
        {
            text.AppendLine($"Database-tenant sweep: {sweep.Tenants} database tenants on one dedicated server, each read once on each replica");
            text.AppendLine($"  provisioning {sweep.ProvisionTime.TotalSeconds:0.0} s; reads {sweep.Reads} in {sweep.ReadTime.TotalSeconds:0.0} s (target <= 60 s), errors {sweep.Errors} (target 0)");
            text.AppendLine($"  peak backends of tenant logins {sweep.PeakBackends} (budget {sweep.Budget})");
            foreach (var sample in sweep.ErrorSamples)
            {
                text.AppendLine($"  error: {sample}");
            }
        }
        return text.ToString();
    }
}
