namespace TieredTenancy.Tenancy.Data;

/// <summary>
/// The tenant's own audit trail, kept with its data (so it moves with the tenant between tiers):
/// what was done to its data, by whom, including every platform-admin access.
/// </summary>
public sealed class TenantAuditEntry : ITenantOwned
{
    public Guid TenantId { get; set; }

    public Guid Id { get; init; } = Guid.CreateVersion7();

    public DateTimeOffset At { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>The client id of the caller.</summary>
    public required string Actor { get; init; }

    /// <summary>e.g. <c>project.create</c>, <c>platform-admin.access</c>.</summary>
    public required string Action { get; init; }

    public string? Target { get; init; }
}
