using TieredTenancy.Tenancy.Plans;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Tenants;

/// <summary>Makes and removes a tenant's storage at one isolation kind. Both are idempotent.</summary>
public interface IIsolationStorage
{
    IsolationKind Kind { get; }

    /// <summary>The placement a new tenant of this kind gets.</summary>
    Task<Placement> PlaceAsync(Guid tenantId, CancellationToken cancellationToken);

    /// <summary>Creates the tenant's storage, migrated; returns its migration version.</summary>
    Task<string> CreateAsync(Tenant tenant, ProvisioningFaults faults, CancellationToken cancellationToken);

    /// <summary>Removes whatever of the tenant's storage exists.</summary>
    Task RemoveAsync(Tenant tenant, CancellationToken cancellationToken);
}
