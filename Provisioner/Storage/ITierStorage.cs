using Npgsql;
using TieredTenancy.Tenancy.Plans;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Storage;

/// <summary>
/// The Provisioner's side of one isolation tier: where a tenant of this tier goes, how its storage
/// is made and removed, and how the control plane reaches it. (The Api's side is its isolation
/// strategies.) Making and removing are idempotent.
/// </summary>
public interface ITierStorage
{
    IsolationKind Kind { get; }

    /// <summary>The placement a tenant gets at this tier; <paramref name="server"/> only where the tier has a choice of servers.</summary>
    Task<Placement> PlaceAsync(Guid tenantId, string? server, CancellationToken cancellationToken);

    /// <summary>
    /// Makes the tenant's empty storage at <paramref name="placement"/>, at migration
    /// <paramref name="version"/> (the latest when null); returns the version it is at.
    /// </summary>
    Task<string> CreateAsync(Guid tenantId, Placement placement, string? version, CancellationToken cancellationToken);

    /// <summary>Removes whatever of the tenant's storage exists at <paramref name="placement"/>.</summary>
    Task RemoveAsync(Guid tenantId, Placement placement, CancellationToken cancellationToken);

    /// <summary>A control-plane connection to the database of <paramref name="placement"/>, unpooled.</summary>
    Task<NpgsqlConnection> ConnectAsync(Placement placement, CancellationToken cancellationToken);

    /// <summary>Whether the tenant has storage of its own at the placement (a catalog storage target), not shared tables.</summary>
    bool HasOwnTarget { get; }
}
