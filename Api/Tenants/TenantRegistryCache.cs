using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Hybrid;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Api.Tenants;

/// <summary>
/// Registry lookups, cached in process and in Redis (HybridCache) under tenant-scoped keys
/// <c>t:{tenantId}:registry</c>. Every registry change is broadcast and drops the entry on every
/// replica (see <see cref="RegistryChangeListener"/>); a change to storage many tenants share
/// (the shared tables migrated) drops every entry, by their common tag. The expiry is only a backstop.
/// </summary>
public sealed class TenantRegistryCache(HybridCache cache, IServiceScopeFactory scopes)
{
    private static readonly HybridCacheEntryOptions EntryOptions = new()
    {
        Expiration = TimeSpan.FromMinutes(5),
        LocalCacheExpiration = TimeSpan.FromMinutes(5),
    };

    private static readonly string[] Tags = ["t:registry"];

    // A slug names one tenant id for ever; only hits are kept, so a tenant created later is found.
    private readonly ConcurrentDictionary<string, Guid> _slugs = new();

    public static string Key(Guid tenantId) => $"t:{tenantId}:registry";

    public ValueTask<ResolvedTenant?> FindAsync(Guid tenantId, CancellationToken cancellationToken) =>
        cache.GetOrCreateAsync(Key(tenantId), tenantId, LoadAsync, EntryOptions, Tags, cancellationToken);

    public async ValueTask<ResolvedTenant?> FindBySlugAsync(string slug, CancellationToken cancellationToken)
    {
        if (!_slugs.TryGetValue(slug, out var tenantId))
        {
            await using var scope = scopes.CreateAsyncScope();
            var catalog = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
            var found = await catalog.Tenants.AsNoTracking().Where(t => t.Slug == slug).Select(t => (Guid?)t.Id).SingleOrDefaultAsync(cancellationToken);
            if (found is null)
            {
                return null;
            }
            tenantId = _slugs.GetOrAdd(slug, found.Value);
        }
        return await FindAsync(tenantId, cancellationToken);
    }

    public ValueTask ForgetAsync(Guid tenantId) => cache.RemoveAsync(Key(tenantId));

    /// <summary>Drops every tenant's entry (rare: the shared tables changed shape).</summary>
    public ValueTask ForgetAllAsync() => cache.RemoveByTagAsync(Tags[0]);

    /// <summary>
    /// The entry as the catalog has it now, past both caches, which it then replaces: for a replica
    /// whose cached placement was just refused by PostgreSQL (it missed a move's broadcast).
    /// </summary>
    public async ValueTask<ResolvedTenant?> RefreshAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        var fresh = await LoadAsync(tenantId, cancellationToken);
        await cache.SetAsync(Key(tenantId), fresh, EntryOptions, Tags, cancellationToken);
        return fresh;
    }

    private async ValueTask<ResolvedTenant?> LoadAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var catalog = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
        var row = await catalog.Tenants.AsNoTracking()
            .Where(t => t.Id == tenantId && t.Status != TenantStatus.Provisioning)
            .Join(catalog.Plans, t => t.Plan, p => p.Name, (t, p) => new
            {
                Tenant = t,
                Plan = p,
                // The version of the storage the tenant is served from: its own, or the shared tables'.
                Version = catalog.StorageTargets
                    .Where(s => s.Server == t.Placement.Server && s.Database == t.Placement.Database && s.Schema == t.Placement.Schema)
                    .Select(s => s.MigrationVersion)
                    .FirstOrDefault(),
            })
            .SingleOrDefaultAsync(cancellationToken);
        if (row is null)
        {
            return null;
        }
        var (tenant, plan) = (row.Tenant, row.Plan);
        return new ResolvedTenant(tenant.Id, tenant.Slug, tenant.Name, tenant.Plan, tenant.Isolation, tenant.Status,
            new ResolvedPlacement(tenant.Placement.Server, tenant.Placement.Database, tenant.Placement.Schema, tenant.Placement.Epoch,
                tenant.Placement.Role, tenant.Placement.ProtectedConnectionString),
            plan.Features, plan.Limits, row.Version ?? "");
    }
}
