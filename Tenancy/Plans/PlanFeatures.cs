namespace TieredTenancy.Tenancy.Plans;

/// <summary>Feature names a plan can turn on (Microsoft.FeatureManagement feature names).</summary>
public static class PlanFeatures
{
    public const string Projects = "projects";
    public const string Search = "search";
    public const string AuditEvents = "audit-events";
}
