namespace TieredTenancy.Tenancy.Data;

/// <summary>
/// Tenant plane, in the tenant's data (table <c>audit_entries</c>): one entry of the tenant's own audit
/// trail, kept with its data (so it moves with the tenant between tiers): what was done to its data,
/// by whom, including every platform-admin access. The control plane's events are
/// <see cref="Registry.ControlPlaneAuditEvent"/>, in the catalog.
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
