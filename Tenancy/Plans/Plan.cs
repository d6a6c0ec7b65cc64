namespace TieredTenancy.Tenancy.Plans;

/// <summary>A plan is data: its isolation, the features it turns on and its limits.</summary>
public sealed class Plan
{
    public required string Name { get; init; }

    public required IsolationKind Isolation { get; set; }

    public required List<string> Features { get; set; }

    public required PlanLimits Limits { get; set; }
}

public sealed class PlanLimits
{
    public required int RequestsPerMinute { get; set; }

    public required int MaxProjects { get; set; }

    public required int StorageMegabytes { get; set; }
}
