using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace TieredTenancy.Bench.Profiling;

/// <summary>
/// Top frames of a <c>dotnet-trace</c> thread-time profile by CPU: only the samples taken while a
/// thread ran managed code (the <c>CPU_TIME</c> leaf of the speedscope export; waits and native code
/// are left out, which <c>dotnet-trace report topN</c> counts). Exclusive: the frame was the one running;
/// inclusive: it was on the stack. Percentages of the request work's samples; also microseconds per request.
/// Two kinds of samples are not request work and would otherwise lead both tables (measured on the
/// 2-core machine under load, 2026-11-27: together 28 to 46 % of all samples): a thread stopped at a
/// GC poll (<c>PollGCWorker</c>: the sampler suspends the runtime about every millisecond) is charged
/// to the frame that polled; an idle thread-pool worker spinning before it sleeps
/// (<c>LowLevelLifoSemaphore</c>) is counted apart and left out.
/// </summary>
public sealed partial class ProfileSummary
{
    private readonly Dictionary<string, double> _exclusive = [];
    private readonly Dictionary<string, double> _inclusive = [];

    /// <summary>Milliseconds of managed-CPU samples of request work, all threads together.</summary>
    public double TotalMs { get; private set; }

    /// <summary>Milliseconds of managed-CPU samples of idle thread-pool workers, left out of <see cref="TotalMs"/>.</summary>
    public double IdleMs { get; private set; }

    public static ProfileSummary Read(string speedscopePath)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(speedscopePath));
        var frames = document.RootElement.GetProperty("shared").GetProperty("frames").EnumerateArray()
            .Select(frame => Short(frame.GetProperty("name").GetString() ?? "")).ToArray();
        var summary = new ProfileSummary();
        foreach (var profile in document.RootElement.GetProperty("profiles").EnumerateArray())
        {
            var stack = new List<int>();
            double? last = null;
            foreach (var sample in profile.GetProperty("events").EnumerateArray())
            {
                var at = sample.GetProperty("at").GetDouble();
                if (last is { } since && stack.Count > 1 && frames[stack[^1]] == "CPU_TIME")
                {
                    summary.Add(frames, stack, at - since);
                }
                last = at;
                if (sample.GetProperty("type").GetString() == "O")
                {
                    stack.Add(sample.GetProperty("frame").GetInt32());
                }
                else
                {
                    stack.RemoveAt(stack.Count - 1);
                }
            }
        }
        return summary;
    }

    private void Add(string[] frames, List<int> stack, double ms)
    {
        // The leaf is CPU_TIME; below it the running frame, or the GC poll it was stopped at.
        var top = stack.Count - 2;
        if (top > 0 && frames[stack[top]].StartsWith(GcPoll, StringComparison.Ordinal))
        {
            top--;
        }
        var running = frames[stack[top]];
        if (running.StartsWith(IdleWorker, StringComparison.Ordinal))
        {
            IdleMs += ms;
            return;
        }
        TotalMs += ms;
        _exclusive[running] = _exclusive.GetValueOrDefault(running) + ms;
        foreach (var name in stack.Take(top + 1).Select(index => frames[index]).Distinct())
        {
            _inclusive[name] = _inclusive.GetValueOrDefault(name) + ms;
        }
    }

    private const string GcPoll = "System.Threading.Thread.<PollGC>";
    private const string IdleWorker = "System.Threading.LowLevelLifoSemaphore.";

    /// <summary>Two tables of the top <paramref name="count"/> frames; <paramref name="requests"/> turns shares into time per request.</summary>
    public string Render(int count, int requests)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"managed CPU samples: {TotalMs / 1000:0.0} s over {requests} requests ({TotalMs * 1000 / requests:0} us per request); "
            + $"idle thread-pool workers spinning, left out: {IdleMs / 1000:0.0} s\n");
        Table(text, "exclusive", _exclusive.OrderByDescending(pair => pair.Value).Take(count), requests);
        Table(text, "inclusive (without thread, thread-pool and async plumbing)",
            _inclusive.Where(pair => !IsPlumbing(pair.Key)).OrderByDescending(pair => pair.Value).Take(count), requests);
        return text.ToString();
    }

    private void Table(StringBuilder text, string title, IEnumerable<KeyValuePair<string, double>> rows, int requests)
    {
        text.Append(CultureInfo.InvariantCulture, $"top frames by {title}: excl %, incl %, incl us/request, frame\n");
        var rank = 0;
        foreach (var (name, _) in rows)
        {
            var exclusive = _exclusive.GetValueOrDefault(name);
            var inclusive = _inclusive.GetValueOrDefault(name);
            text.Append(CultureInfo.InvariantCulture,
                $"{++rank,3}. {100 * exclusive / TotalMs,6:0.00} {100 * inclusive / TotalMs,6:0.00} {inclusive * 1000 / requests,7:0.0}  {name}\n");
        }
    }

    // Frames every sample of a worker passes through, which say nothing about the work itself.
    private static bool IsPlumbing(string name) =>
        name.Length == 0 || name.StartsWith("Thread (", StringComparison.Ordinal) || name.StartsWith("Process", StringComparison.Ordinal)
        || name is "Threads" or "(Non-Activities)" or "?"
        || PlumbingPattern().IsMatch(name);

    [GeneratedRegex(@"^System\.(Threading\.(Thread\.StartCallback|PortableThreadPool|ThreadPoolWorkQueue|ExecutionContext|Tasks\.(Task|AwaitTaskContinuation))|Runtime\.CompilerServices\.(AsyncMethodBuilderCore|Async\w*MethodBuilder|PoolingAsync\w*|TaskAwaiter))")]
    private static partial Regex PlumbingPattern();

    /// <summary>Without the module prefix and the parameter list.</summary>
    private static string Short(string name)
    {
        var bang = name.IndexOf('!');
        var paren = name.IndexOf('(');
        var start = bang >= 0 && (paren < 0 || bang < paren) ? bang + 1 : 0;
        var end = paren > start ? paren : name.Length;
        return name[start..end];
    }
}
