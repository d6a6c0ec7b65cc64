using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Api.Tenants;

/// <summary>
/// Drops a tenant's cached registry entry (and what <see cref="IRegistryEntryHolder"/>s keep of it, such as
/// dedicated pools holding a login being rotated away) on this replica whenever the registry says it changed, and
/// every entry when storage many tenants share changes or when changes may have been missed (<see cref="RegistryChangeFeed"/>).
/// </summary>
public sealed class RegistryChangeListener(TenantRegistryCache registry, IEnumerable<IRegistryEntryHolder> holders, ILogger<RegistryChangeListener> logger)
    : IRegistryChangeHandler
{
    public async ValueTask ApplyAsync(string change, CancellationToken cancellationToken)
    {
        if (Guid.TryParse(change, out var tenantId))
        {
            await registry.ForgetAsync(tenantId);
            foreach (var holder in holders)
            {
                holder.Drop(tenantId);
            }
            logger.LogDebug("Registry entry of tenant {TenantId} dropped after a broadcast", tenantId);
        }
        else if (RegistryChanges.IsPlacementTag(change) || change == RegistryChanges.PlansChanged)
        {
            await registry.ForgetAllAsync();
            logger.LogInformation("Every registry entry dropped: {Placement} changed", change);
        }
    }

    public ValueTask MissedChangesAsync(CancellationToken cancellationToken) => registry.ForgetAllAsync();
}
