namespace TieredTenancy.Bench;

/// <summary>An isolation kind as the benchmark drives it: the plan that selects it and its provisioning target.</summary>
public sealed record Tier(string Isolation, string Plan, double TargetP95Ms);

public static class Tiers
{
    /// <summary>The seeded plans that select each isolation, and the p95 provisioning targets.</summary>
    public static IReadOnlyList<Tier> All { get; } =
    [
        new("row", "free", 10),
        new("schema", "business", 100),
        new("database", "enterprise", 250),
    ];
}

/// <summary>
/// An isolation kind as the throughput measurement drives it: the plan that selects it, and the least
/// share of the plain baseline's requests per second its tenancy routes must reach, for reads and for writes.
/// </summary>
public sealed record ThroughputTier(string Isolation, string Plan, double ReadTarget, double WriteTarget);

public static class ThroughputTiers
{
    public static IReadOnlyList<ThroughputTier> All { get; } =
    [
        new("row", "pro", 0.90, 0.85),
        new("schema", "business", 0.90, 0.85),
        new("database", "enterprise", 0.90, 0.85),
    ];
}
