using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using TieredTenancy.Tenancy.Plans;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Plans;

/// <summary>
/// The plans, read from the catalog and kept in memory briefly: every create looks its plan up,
/// and a round trip per create for data that changes by hand, rarely, is not worth it.
/// </summary>
public sealed class PlanCatalog(IServiceScopeFactory scopes, IMemoryCache cache)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);

    public async Task<IReadOnlyDictionary<string, Plan>> AllAsync(CancellationToken cancellationToken) =>
        (await cache.GetOrCreateAsync("plans", async entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = Lifetime;
            await using var scope = scopes.CreateAsyncScope();
            var catalog = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
            return (IReadOnlyDictionary<string, Plan>)(await catalog.Plans.AsNoTracking().ToListAsync(cancellationToken)).ToDictionary(plan => plan.Name);
        }))!;

    /// <summary>Drops the copy after a plan changed, here or (through <see cref="PlanChangeListener"/>) in another Provisioner instance.</summary>
    public void Forget() => cache.Remove("plans");

    public async Task<Plan?> FindAsync(string name, CancellationToken cancellationToken) =>
        (await AllAsync(cancellationToken)).GetValueOrDefault(name);

    /// <summary>What a request that names no existing plan is told.</summary>
    public async Task<string> UnknownPlanErrorAsync(CancellationToken cancellationToken) =>
        $"plan must be one of: {string.Join(", ", (await AllAsync(cancellationToken)).Keys.Order())}.";
}
