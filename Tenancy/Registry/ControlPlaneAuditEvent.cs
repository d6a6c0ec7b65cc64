namespace TieredTenancy.Tenancy.Registry;

/// <summary>
/// Control plane, in the catalog (table <c>audit_events</c>): who did what, when, to which tenant,
/// written by the Provisioner. The tenant's own trail is <see cref="Data.TenantAuditEntry"/>, in its data.
/// </summary>
public sealed class ControlPlaneAuditEvent
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    public DateTimeOffset At { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>The client id of the caller.</summary>
    public required string Actor { get; init; }

    /// <summary>e.g. <c>tenant.create</c>, <c>tenant.suspend</c>, <c>client.create</c>.</summary>
    public required string Action { get; init; }

    public Guid? TenantId { get; init; }

    /// <summary>What else matters about the event, as short text (never secrets).</summary>
    public string? Detail { get; init; }
}
