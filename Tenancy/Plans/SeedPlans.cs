namespace TieredTenancy.Tenancy.Plans;

/// <summary>The plans the catalog starts with.</summary>
public static class SeedPlans
{
    public static IReadOnlyList<Plan> All { get; } =
    [
        Create("free", IsolationKind.Row, [PlanFeatures.Projects], requestsPerMinute: 120, burst: 20, concurrent: 4, maxProjects: 3, storageMegabytes: 100),
        Create("pro", IsolationKind.Row, [PlanFeatures.Projects, PlanFeatures.Search], 600, 60, 10, 50, 2_000),
        Create("business", IsolationKind.Schema, [PlanFeatures.Projects, PlanFeatures.Search, PlanFeatures.AuditEvents], 3_000, 200, 25, 500, 20_000),
        Create("enterprise", IsolationKind.Database, [PlanFeatures.Projects, PlanFeatures.Search, PlanFeatures.AuditEvents], 12_000, 600, 50, 10_000, 200_000),
    ];

    private static Plan Create(string name, IsolationKind isolation, List<string> features, int requestsPerMinute, int burst, int concurrent, int maxProjects,
        int storageMegabytes) =>
        new()
        {
            Name = name,
            Isolation = isolation,
            Features = features,
            Limits = new PlanLimits
            {
                RequestsPerMinute = requestsPerMinute, RequestBurst = burst, ConcurrentRequests = concurrent, MaxProjects = maxProjects,
                StorageMegabytes = storageMegabytes,
            },
        };
}
