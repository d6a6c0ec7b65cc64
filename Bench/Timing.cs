using System.Diagnostics;

namespace TieredTenancy.Bench;

/// <summary>Times one piece of work with the high-resolution clock.</summary>
public static class Timing
{
    public static async Task<double> MillisecondsAsync(Func<Task> work)
    {
        var start = Stopwatch.GetTimestamp();
        await work();
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    /// <summary>Runs <paramref name="warmups"/> uncounted, then <paramref name="repetitions"/> timed; returns the timed ones.</summary>
    public static async Task<IReadOnlyList<double>> RepeatAsync(int warmups, int repetitions, Func<int, Task<double>> once)
    {
        for (var index = 0; index < warmups; index++)
        {
            await once(-1 - index);
        }
        var samples = new List<double>(repetitions);
        for (var index = 0; index < repetitions; index++)
        {
            samples.Add(await once(index));
        }
        return samples;
    }
}
