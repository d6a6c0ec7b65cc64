using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace TieredTenancy.Bench.Moves;

/// <summary>
/// The tenant's users writing while it moves: one writer per Api replica creating tasks in a loop,
/// each write timed from send to response read. Acknowledged ids are kept, to count lost writes.
/// </summary>
public sealed class WriterLoop
{
    private readonly ConcurrentBag<Guid> _acknowledged = [];
    private readonly ConcurrentBag<string> _errors = [];
    private readonly ConcurrentBag<double> _latencies = [];
    private readonly ConcurrentBag<(DateTimeOffset At, double Ms)> _slowest = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _writers;

    private WriterLoop(IReadOnlyList<Uri> replicas, string token, Guid projectId)
    {
        _writers = replicas.Select((replica, index) => Task.Run(() => WriteAsync(replica, token, projectId, index))).ToArray();
    }

    public IReadOnlyCollection<Guid> Acknowledged => _acknowledged;

    public IReadOnlyCollection<string> Errors => _errors;

    public double LongestMs => _latencies.IsEmpty ? 0 : _latencies.Max();

    public int Writes => _latencies.Count;

    /// <summary>Writes slower than 300 ms: when they ended, and how long they took.</summary>
    public IReadOnlyList<(DateTimeOffset At, double Ms)> Slow => _slowest.OrderBy(slow => slow.At).ToList();

    /// <summary>Starts the writers after a warm-up of each replica's write path (not counted: the first writes pay for JIT and caches).</summary>
    public static async Task<WriterLoop> StartAsync(IReadOnlyList<Uri> replicas, string token, Guid projectId)
    {
        foreach (var replica in replicas)
        {
            using var client = new HttpClient { BaseAddress = replica };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            for (var warmUp = 0; warmUp < 20; warmUp++)
            {
                using var response = await client.PostAsJsonAsync($"/projects/{projectId}/tasks", new { title = $"warm-up {warmUp}" });
                response.EnsureSuccessStatusCode();
            }
        }
        return new WriterLoop(replicas, token, projectId);
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_writers);
    }

    private async Task WriteAsync(Uri replica, string token, Guid projectId, int writer)
    {
        using var client = new HttpClient { BaseAddress = replica, Timeout = TimeSpan.FromMinutes(2) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        for (var round = 0; !_stop.IsCancellationRequested; round++)
        {
            var sent = Stopwatch.GetTimestamp();
            try
            {
                using var response = await client.PostAsJsonAsync($"/projects/{projectId}/tasks", new { title = $"writer {writer} task {round}" });
                var body = await response.Content.ReadAsStringAsync();
                var ms = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
                _latencies.Add(ms);
                if (ms > 300)
                {
                    _slowest.Add((DateTimeOffset.UtcNow, ms));
                }
                if (response.StatusCode == HttpStatusCode.Created)
                {
                    _acknowledged.Add(JsonDocument.Parse(body).RootElement.GetProperty("id").GetGuid());
                }
                else
                {
                    _errors.Add($"{(int)response.StatusCode} {body[..Math.Min(200, body.Length)]}");
                }
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
            {
                _errors.Add(exception.Message);
            }
        }
    }
}
