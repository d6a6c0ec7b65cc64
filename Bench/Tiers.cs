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
