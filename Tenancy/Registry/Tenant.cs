using TieredTenancy.Tenancy.Plans;

namespace TieredTenancy.Tenancy.Registry;

/// <summary>A tenant in the registry. Written only by the Provisioner.</summary>
public sealed class Tenant
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    public required string Slug { get; init; }

    public required string Name { get; set; }

    public required string Plan { get; set; }

    public required IsolationKind Isolation { get; set; }

    public TenantStatus Status { get; set; } = TenantStatus.Provisioning;

    public required Placement Placement { get; set; }

    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;

    public DateTimeOffset UpdatedAt { get; set; } = DateTimeOffset.UtcNow;

    /// <summary>The tombstone's proof of erasure (JSON) once the tenant is offboarded: what was deleted, what was checked, the archive.</summary>
    public string? DeletionCertificate { get; set; }
}
