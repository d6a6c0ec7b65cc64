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
    /// <summary>Sustained request rate per tenant, across every Api replica.</summary>
    public required int RequestsPerMinute { get; set; }

    /// <summary>Requests a tenant may send at once above its rate (the token bucket's size).</summary>
    public required int RequestBurst { get; set; }

    /// <summary>Requests of one tenant in flight at once, across every Api replica.</summary>
    public required int ConcurrentRequests { get; set; }

    public required int MaxProjects { get; set; }

    public required int StorageMegabytes { get; set; }
}
