namespace TieredTenancy.Bench;

/// <summary>p50, p95 and max of a set of timings in milliseconds.</summary>
public sealed record LatencySummary(int Count, double P50, double P95, double Max)
{
    public static LatencySummary Of(IReadOnlyCollection<double> milliseconds) =>
        milliseconds.Count == 0
            ? throw new ArgumentException("No samples to summarize.", nameof(milliseconds))
            : new(milliseconds.Count, Percentiles.Of(milliseconds, 0.50), Percentiles.Of(milliseconds, 0.95), milliseconds.Max());
}

public static class Percentiles
{
    /// <summary>Nearest-rank percentile: the smallest sample with at least <paramref name="fraction"/> of the samples at or below it.</summary>
    public static double Of(IReadOnlyCollection<double> samples, double fraction)
    {
        var sorted = samples.Order().ToArray();
        var rank = (int)Math.Ceiling(fraction * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    /// <summary>The middle sample, or the mean of the two middle samples when the count is even.</summary>
    public static double Median(IReadOnlyCollection<double> samples)
    {
        if (samples.Count == 0)
        {
            throw new ArgumentException("No samples to take the median of.", nameof(samples));
        }
        var sorted = samples.Order().ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
