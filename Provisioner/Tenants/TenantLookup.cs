using Microsoft.EntityFrameworkCore;
using TieredTenancy.Provisioner.Operations;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Tenants;

/// <summary>Finds tenants, the migration version of the storage each is served from, and its running operation.</summary>
public sealed class TenantLookup(CatalogDbContext catalog, TenantOperations operations)
{
    public Task<Tenant?> FindAsync(Guid id, CancellationToken cancellationToken) =>
        catalog.Tenants.SingleOrDefaultAsync(tenant => tenant.Id == id && tenant.Status != TenantStatus.Provisioning, cancellationToken);

    /// <summary>A tenant that can still be changed: not a deletion tombstone.</summary>
    public async Task<Tenant?> FindExistingAsync(Guid id, CancellationToken cancellationToken) =>
        await FindAsync(id, cancellationToken) is { Status: not TenantStatus.Deleted } tenant ? tenant : null;

    /// <summary>A tenant that exists and runs no operation now; else why not.</summary>
    public async Task<(Tenant? Tenant, Refusal? Refusal)> FindIdleAsync(string id, Guid tenantId, CancellationToken cancellationToken)
    {
        var tenant = await FindExistingAsync(tenantId, cancellationToken);
        if (tenant is null)
        {
            return (null, Refusal.NoTenant(id));
        }
        return await operations.ConflictAsync(tenant.Id, cancellationToken) is { } conflict ? (null, conflict) : (tenant, null);
    }

    public Task<Tenant?> FindBySlugAsync(string slug, CancellationToken cancellationToken) =>
        catalog.Tenants.SingleOrDefaultAsync(tenant => tenant.Slug == slug && tenant.Status != TenantStatus.Provisioning, cancellationToken);

    public async Task<IReadOnlyList<TenantResponse>> DescribeAsync(IReadOnlyList<Tenant> tenants, CancellationToken cancellationToken)
    {
        var servers = tenants.Select(tenant => tenant.Placement.Server).Distinct().ToList();
        var ids = tenants.Select(tenant => (Guid?)tenant.Id).ToList();
        var targets = await catalog.StorageTargets.AsNoTracking()
            .Where(target => servers.Contains(target.Server))
            .Where(target => target.TenantId == null || ids.Contains(target.TenantId))
            .ToListAsync(cancellationToken);
        var running = await operations.Active.Where(o => ids.Contains(o.TenantId)).ToDictionaryAsync(o => o.TenantId!.Value, cancellationToken);
        return tenants.Select(tenant => TenantResponse.From(tenant,
                targets.FirstOrDefault(target => target.Server == tenant.Placement.Server
                    && target.Database == tenant.Placement.Database
                    && target.Schema == tenant.Placement.Schema)?.MigrationVersion ?? "",
                running.TryGetValue(tenant.Id, out var operation) ? RunningOperation.From(operation) : null))
            .ToList();
    }

    public async Task<TenantResponse> DescribeAsync(Tenant tenant, CancellationToken cancellationToken) =>
        (await DescribeAsync([tenant], cancellationToken))[0];
}
