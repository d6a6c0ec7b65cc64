using System.Diagnostics;

namespace TieredTenancy.Bench;

/// <summary>One load loop's outcome.</summary>
/// <param name="Requests">Successful (2xx) responses completed inside the measured window.</param>
/// <param name="Errors">Other responses and failed requests, warm-up included.</param>
/// <param name="LatenciesMs">Send to body read, of each counted request.</param>
/// <param name="ErrorSamples">Up to <see cref="LoadLoop.MaxErrorSamples"/> distinct error descriptions.</param>
/// <param name="Cpu">CPU used in the measured window by the Api replica and by PostgreSQL, when measured.</param>
public sealed record LoadResult(string Label, int Requests, int Errors, TimeSpan Measured, IReadOnlyList<double> LatenciesMs,
    IReadOnlyList<string> ErrorSamples, CpuTimes? Cpu = null)
{
    public double RequestsPerSecond => Requests / Measured.TotalSeconds;

    /// <summary>Microseconds of the Api replica's CPU per counted request.</summary>
    public double? ApiCpuPerRequestUs => Cpu is null || Requests == 0 ? null : Cpu.Api.TotalMicroseconds / Requests;

    /// <summary>Microseconds of PostgreSQL's CPU per counted request.</summary>
    public double? PostgresCpuPerRequestUs => Cpu is null || Requests == 0 ? null : Cpu.Postgres.TotalMicroseconds / Requests;
}

/// <summary>
/// A fixed number of workers, each sending one request at a time in a loop: a warm-up first, not
/// counted, then the measured window. A request counts when its response (a 2xx, body read) completes
/// inside the window; workers start no request after it closes.
/// </summary>
public static class LoadLoop
{
    public static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(2);
    public const int MaxErrorSamples = 5;

    /// <param name="warmUp">Before the measured window, not counted; <see cref="WarmUp"/> unless given.</param>
    /// <param name="cpu">Read at the window's start and end, when given.</param>
    public static async Task<LoadResult> RunAsync(string label, HttpClient client, Func<HttpRequestMessage> request, int concurrency, TimeSpan measured,
        TimeSpan? warmUp = null, CpuMeter? cpu = null)
    {
        var start = Stopwatch.GetTimestamp();
        var windowStart = start + Ticks(warmUp ?? WarmUp);
        var windowEnd = windowStart + Ticks(measured);
        var errors = new ErrorLog();

        var workers = Enumerable.Range(0, concurrency)
            .Select(_ => Task.Run(() => WorkAsync(client, request, windowStart, windowEnd, errors)))
            .ToArray();
        var cpuUsed = cpu is null ? null : MeasureCpuAsync(cpu, windowStart, windowEnd);
        var latencies = (await Task.WhenAll(workers)).SelectMany(worker => worker).ToList();
        return new LoadResult(label, latencies.Count, errors.Count, measured, latencies, errors.Samples, cpuUsed is null ? null : await cpuUsed);
    }

    private static async Task<CpuTimes> MeasureCpuAsync(CpuMeter cpu, long windowStart, long windowEnd)
    {
        await DelayUntil(windowStart);
        var before = cpu.Read();
        await DelayUntil(windowEnd);
        return cpu.Read() - before;
    }

    private static Task DelayUntil(long timestamp)
    {
        var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), timestamp);
        return wait > TimeSpan.Zero ? Task.Delay(wait) : Task.CompletedTask;
    }

    private static async Task<List<double>> WorkAsync(HttpClient client, Func<HttpRequestMessage> request, long windowStart, long windowEnd, ErrorLog errors)
    {
        var latencies = new List<double>();
        while (Stopwatch.GetTimestamp() < windowEnd)
        {
            var sent = Stopwatch.GetTimestamp();
            var ok = false;
            try
            {
                using var message = request();
                // ResponseContentRead: the whole body is read before SendAsync returns.
                using var response = await client.SendAsync(message, HttpCompletionOption.ResponseContentRead);
                if (response.IsSuccessStatusCode)
                {
                    ok = true;
                }
                else
                {
                    var body = await response.Content.ReadAsStringAsync();
                    errors.Add($"{(int)response.StatusCode} {message.RequestUri}: {Shorten(body)}");
                }
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or IOException)
            {
                errors.Add($"{exception.GetType().Name}: {exception.Message}");
            }
            var done = Stopwatch.GetTimestamp();
            if (ok && done >= windowStart && done <= windowEnd)
            {
                latencies.Add(Stopwatch.GetElapsedTime(sent, done).TotalMilliseconds);
            }
        }
        return latencies;
    }

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "...";

    /// <summary>Counts every error; keeps the first few distinct descriptions.</summary>
    private sealed class ErrorLog
    {
        private readonly Lock _lock = new();
        private readonly List<string> _samples = [];
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public IReadOnlyList<string> Samples
        {
            get
            {
                lock (_lock)
                {
                    return _samples.ToList();
                }
            }
        }

        public void Add(string description)
        {
            Interlocked.Increment(ref _count);
            lock (_lock)
            {
                if (_samples.Count < MaxErrorSamples && !_samples.Contains(description))
                {
                    _samples.Add(description);
                }
            }
        }
    }
}
