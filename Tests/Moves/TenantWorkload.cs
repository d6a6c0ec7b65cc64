using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace TieredTenancy.Tests.Moves;

/// <summary>
/// A tenant's users at work on every Api replica while its data moves: writers create tasks and
/// rename their own, readers list them. Every acknowledged write is remembered with what it said,
/// every response that was not a success is kept, and the longest write is timed.
/// </summary>
public sealed class TenantWorkload : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, string> _acknowledged = new();
    private readonly ConcurrentBag<string> _failures = [];
    private readonly ConcurrentQueue<DateTimeOffset> _failureTimes = new();
    private readonly ConcurrentQueue<DateTimeOffset> _writeTimes = new();
    private readonly ConcurrentQueue<DateTimeOffset> _readTimes = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    // Keys are the workload's own: another workload on the same tenant (a test's second run of it) makes other tasks.
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];
    private long _writes;
    private long _reads;
    private long _longestWriteTicks;

    private TenantWorkload(IReadOnlyList<HttpClient> replicas, string projectId)
    {
        for (var writer = 0; writer < replicas.Count * 2; writer++)
        {
            var client = replicas[writer % replicas.Count];
            var name = $"w{writer}";
            _loops.Add(Task.Run(() => WriteAsync(client, projectId, name)));
        }
        foreach (var client in replicas)
        {
            _loops.Add(Task.Run(() => ReadAsync(client, projectId)));
        }
    }

    /// <summary>Task id → the title its last acknowledged write gave it.</summary>
    public IReadOnlyDictionary<string, string> Acknowledged => _acknowledged;

    public IReadOnlyCollection<string> Failures => _failures;

    public long Writes => Interlocked.Read(ref _writes);

    public long Reads => Interlocked.Read(ref _reads);

    public TimeSpan LongestWrite => TimeSpan.FromTicks(Interlocked.Read(ref _longestWriteTicks));

    /// <summary>Successful writes answered between two instants (e.g. an operation's own start and end).</summary>
    public int WritesBetween(DateTimeOffset from, DateTimeOffset to) => _writeTimes.Count(at => at >= from && at <= to);

    /// <summary>Requests that failed (an answer other than a success, or none) between two instants.</summary>
    public int FailuresBetween(DateTimeOffset from, DateTimeOffset to) => _failureTimes.Count(at => at >= from && at <= to);

    /// <summary>Successful reads answered between two instants.</summary>
    public int ReadsBetween(DateTimeOffset from, DateTimeOffset to) => _readTimes.Count(at => at >= from && at <= to);

    /// <summary>Waits until at least this many more writes and reads succeeded than had when it was called.</summary>
    public async Task WaitForMoreAsync(int writes, int reads, TimeSpan timeout)
    {
        var (writesBefore, readsBefore) = (_writeTimes.Count, _readTimes.Count);
        var deadline = Stopwatch.StartNew();
        while (_writeTimes.Count < writesBefore + writes || _readTimes.Count < readsBefore + reads)
        {
            Assert.True(deadline.Elapsed < timeout,
                $"the workload made {_writeTimes.Count - writesBefore} writes and {_readTimes.Count - readsBefore} reads in {timeout.TotalSeconds:0} s; expected {writes} and {reads}. " +
                $"Failures: {string.Join(" | ", _failures.Take(3))}");
            await Task.Delay(50);
        }
    }

    public static TenantWorkload Start(IReadOnlyList<HttpClient> replicas, string projectId) => new(replicas, projectId);

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync();
        }
        _stop.Dispose();
    }

    /// <summary>Every acknowledged write is there, as last written: read back page by page through <paramref name="client"/>.</summary>
    public async Task AssertEveryAcknowledgedWriteIsPresentAsync(HttpClient client, string projectId)
    {
        var present = new Dictionary<string, string>();
        var titles = new List<string>();
        for (var page = 1; ; page++)
        {
            using var response = await client.GetAsync($"/projects/{projectId}/tasks?page={page}&pageSize=200");
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"listing tasks answered {(int)response.StatusCode}: {body}");
            var items = JsonDocument.Parse(body).RootElement.GetProperty("items").EnumerateArray().ToList();
            foreach (var item in items)
            {
                present[item.GetProperty("id").GetString()!] = item.GetProperty("title").GetString()!;
                titles.Add(item.GetProperty("title").GetString()!);
            }
            if (items.Count < 200)
            {
                break;
            }
        }
        var missing = _acknowledged.Where(write => !present.TryGetValue(write.Key, out var title) || title != write.Value)
            .Select(write => $"{write.Key} '{write.Value}' (found: {present.GetValueOrDefault(write.Key) ?? "nothing"})").ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} of {_acknowledged.Count} acknowledged writes are lost: {string.Join("; ", missing.Take(5))}");
        // Every create and rename names its task uniquely: a title twice is a write made twice (a create run again after its commit).
        var twice = titles.GroupBy(title => title).Where(group => group.Count() > 1).Select(group => $"'{group.Key}' × {group.Count()}").ToList();
        Assert.True(twice.Count == 0, $"{twice.Count} tasks were made more than once: {string.Join("; ", twice.Take(5))}");
    }

    private void Fail(string failure)
    {
        _failureTimes.Enqueue(DateTimeOffset.UtcNow);
        _failures.Add(failure);
    }

    private async Task WriteAsync(HttpClient client, string projectId, string writer)
    {
        var mine = new List<string>();
        for (var round = 0; !_stop.IsCancellationRequested; round++)
        {
            var clock = Stopwatch.StartNew();
            HttpResponseMessage response;
            string? renamed = null;
            try
            {
                if (round % 4 == 3 && mine.Count > 0)
                {
                    var id = mine[round % mine.Count];
                    renamed = $"{writer} renamed {round} {_run}";
                    response = await client.PutAsJsonAsync($"/tasks/{id}", new { title = renamed, status = "doing" });
                    await RecordAsync(response, clock, id, renamed);
                }
                else
                {
                    // A client that wants exactly one task per create sends a key: a create cut after its commit then runs again safely.
                    var title = $"{writer} task {round} {_run}";
                    using var create = new HttpRequestMessage(HttpMethod.Post, $"/projects/{projectId}/tasks") { Content = JsonContent.Create(new { title, status = "todo" }) };
                    create.Headers.Add("Idempotency-Key", $"{writer}-{round}-{_run}");
                    response = await client.SendAsync(create);
                    var id = await RecordAsync(response, clock, null, title);
                    if (id is not null)
                    {
                        mine.Add(id);
                    }
                }
            }
            catch (Exception exception) when (!_stop.IsCancellationRequested)
            {
                Fail($"{writer}: {exception.GetType().Name}: {exception.Message}");
            }
        }
    }

    private async Task<string?> RecordAsync(HttpResponseMessage response, Stopwatch clock, string? id, string title)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            var elapsed = clock.Elapsed.Ticks;
            long longest;
            while (elapsed > (longest = Interlocked.Read(ref _longestWriteTicks)) && Interlocked.CompareExchange(ref _longestWriteTicks, elapsed, longest) != longest)
            {
            }
            Interlocked.Increment(ref _writes);
            if (response.StatusCode is not (HttpStatusCode.Created or HttpStatusCode.OK))
            {
                Fail($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.PathAndQuery} on {response.RequestMessage?.RequestUri?.Authority}: {(int)response.StatusCode} {body}");
                return null;
            }
            id ??= JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
            _acknowledged[id] = title;
            _writeTimes.Enqueue(DateTimeOffset.UtcNow);
            return id;
        }
    }

    private async Task ReadAsync(HttpClient client, string projectId)
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                using var response = await client.GetAsync($"/projects/{projectId}/tasks?pageSize=20");
                Interlocked.Increment(ref _reads);
                if (response.IsSuccessStatusCode)
                {
                    _readTimes.Enqueue(DateTimeOffset.UtcNow);
                }
                else
                {
                    Fail($"GET tasks on {client.BaseAddress}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }
            }
            catch (Exception exception) when (!_stop.IsCancellationRequested)
            {
                Fail($"reader: {exception.GetType().Name}: {exception.Message}");
            }
        }
    }
}
