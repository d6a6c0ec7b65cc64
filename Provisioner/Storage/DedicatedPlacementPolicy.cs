using Microsoft.EntityFrameworkCore;
using TieredTenancy.Tenancy.Plans;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Storage;

/// <summary>Database-tier tenants go to the dedicated server that holds the fewest of them.</summary>
public sealed class DedicatedPlacementPolicy(CatalogDbContext catalog, TenantServers servers)
{
    public async Task<string> ChooseServerAsync(CancellationToken cancellationToken)
    {
        if (servers.DedicatedServers.Count == 0)
        {
            throw new InvalidOperationException("No dedicated server is configured for database-tier tenants.");
        }

        var counts = await catalog.Tenants
            .Where(tenant => tenant.Isolation == IsolationKind.Database && tenant.Status != TenantStatus.Deleted)
            .GroupBy(tenant => tenant.Placement.Server)
            .Select(group => new { Server = group.Key, Count = group.Count() })
            .ToDictionaryAsync(group => group.Server, group => group.Count, cancellationToken);
        return servers.DedicatedServers.MinBy(server => counts.GetValueOrDefault(server))!;
    }
}
