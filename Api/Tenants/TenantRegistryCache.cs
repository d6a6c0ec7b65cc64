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

    // Slugs of served tenants; a slug whose tenant is gone or deleted is read again, since retention or an undone import frees it.
    private readonly ConcurrentDictionary<string, Guid> _slugs = new();

    // Offboarded tenants, known on this replica only: nothing of theirs goes back into Redis after the deletion certificate said none was left.
    private readonly ConcurrentDictionary<Guid, ResolvedTenant> _deleted = new();

    // Tenants being offboarded, kept on this replica only until the next broadcast about them (or a short expiry):
    // a lookup racing the offboarding's deletion of the tenant's Redis keys must not write one back.
    private readonly ConcurrentDictionary<Guid, (ResolvedTenant Tenant, DateTimeOffset Until)> _leaving = new();

    private static readonly TimeSpan LeavingExpiry = TimeSpan.FromSeconds(10);

    public static string Key(Guid tenantId) => $"t:{tenantId}:registry";

    public async ValueTask<ResolvedTenant?> FindAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        if (_deleted.TryGetValue(tenantId, out var tombstone))
        {
            return tombstone;
        }
        if (_leaving.TryGetValue(tenantId, out var leaving) && leaving.Until > DateTimeOffset.UtcNow)
        {
            return leaving.Tenant;
        }
        try
        {
            return await cache.GetOrCreateAsync(Key(tenantId), tenantId, LoadCacheableAsync, EntryOptions, Tags, cancellationToken);
        }
        catch (NotCacheableException notCacheable)
        {
            return Remember(notCacheable.Tenant);
        }
    }

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
        var tenant = await FindAsync(tenantId, cancellationToken);
        if (tenant is null or { Status: TenantStatus.Deleted })
        {
            _slugs.TryRemove(new KeyValuePair<string, Guid>(slug, tenantId));
        }
        return tenant;
    }

    public ValueTask ForgetAsync(Guid tenantId)
    {
        _leaving.TryRemove(tenantId, out _);
        return cache.RemoveAsync(Key(tenantId));
    }

    /// <summary>Drops every tenant's entry (rare: the shared tables changed shape).</summary>
    public ValueTask ForgetAllAsync() => cache.RemoveByTagAsync(Tags[0]);

    /// <summary>
    /// The entry as the catalog has it now, past both caches, which it then replaces: for a replica
    /// whose cached placement was just refused by PostgreSQL (it missed a move's broadcast).
    /// </summary>
    public async ValueTask<ResolvedTenant?> RefreshAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        var fresh = await LoadAsync(tenantId, cancellationToken);
        if (fresh is { Status: TenantStatus.Offboarding or TenantStatus.Deleted })
        {
            await cache.RemoveAsync(Key(tenantId), cancellationToken);
            return Remember(fresh);
        }
        await cache.SetAsync(Key(tenantId), fresh, EntryOptions, Tags, cancellationToken);
        return fresh;
    }

    /// <summary>A leaving or deleted tenant, kept on this replica only (deleted is final: ids are never reused).</summary>
    private ResolvedTenant Remember(ResolvedTenant tenant)
    {
        if (tenant.Status == TenantStatus.Deleted)
        {
            _deleted[tenant.Id] = tenant;
            _leaving.TryRemove(tenant.Id, out _);
        }
        else
        {
            _leaving[tenant.Id] = (tenant, DateTimeOffset.UtcNow + LeavingExpiry);
        }
        return tenant;
    }

    // The factory HybridCache runs: an entry of a tenant that is leaving is thrown past it, so it is written to neither cache.
    private async ValueTask<ResolvedTenant?> LoadCacheableAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        var tenant = await LoadAsync(tenantId, cancellationToken);
        return tenant is { Status: TenantStatus.Offboarding or TenantStatus.Deleted } ? throw new NotCacheableException(tenant) : tenant;
    }

    private sealed class NotCacheableException(ResolvedTenant tenant) : Exception("The tenant is leaving; its entry is not cached.")
    {
        public ResolvedTenant Tenant { get; } = tenant;
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
