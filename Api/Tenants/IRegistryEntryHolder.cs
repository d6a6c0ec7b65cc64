namespace TieredTenancy.Api.Tenants;

/// <summary>
/// State this replica keeps from a tenant's registry entry outside the registry cache, dropped when the
/// Provisioner broadcasts a change to that tenant. Lets the holders (dedicated pools) follow the registry without it knowing them.
/// </summary>
public interface IRegistryEntryHolder
{
    void Drop(Guid tenantId);
}
