using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace TieredTenancy.Tenancy.Registry;

/// <summary>
/// When each registry change reached this process, against when the Provisioner published it: the
/// promise that a suspension, a revocation or a plan change holds on every replica within a second,
/// measured by the two processes' own clocks rather than by whoever is watching. A histogram for
/// operators; the last changes kept in memory for the tests (<c>GET /testing/registry-changes</c>).
/// </summary>
public sealed class RegistryChangeLog
{
    public const string MeterName = "TieredTenancy.Registry";

    private const int Kept = 2_000;

    private readonly ConcurrentQueue<AppliedChange> _recent = new();
    private readonly Histogram<double> _delay;

    public RegistryChangeLog(IMeterFactory meters)
    {
        _delay = meters.Create(MeterName).CreateHistogram<double>("tieredtenancy.registry.change.delay", unit: "ms",
            description: "From the Provisioner publishing a registry change to this process applying it");
    }

    public void Applied(string change, DateTimeOffset? publishedAt)
    {
        var appliedAt = DateTimeOffset.UtcNow;
        if (publishedAt is { } published)
        {
            _delay.Record(Math.Max(0, (appliedAt - published).TotalMilliseconds));
        }
        _recent.Enqueue(new AppliedChange(change, publishedAt, appliedAt));
        while (_recent.Count > Kept && _recent.TryDequeue(out _))
        {
        }
    }

    public IReadOnlyList<AppliedChange> Recent(string change) => _recent.Where(entry => entry.Change == change).ToList();
}

/// <summary>A registry change as one process applied it.</summary>
public sealed record AppliedChange(string Change, DateTimeOffset? PublishedAt, DateTimeOffset AppliedAt)
{
    public double? DelayMilliseconds => PublishedAt is { } published ? (AppliedAt - published).TotalMilliseconds : null;
}
