using Microsoft.EntityFrameworkCore;
using TieredTenancy.Api.Tenants;
using TieredTenancy.Tenancy.Data;

namespace TieredTenancy.Api.Isolation;

/// <summary>
/// Gives the request a <see cref="TenantDataContext"/> bound to its tenant through the strategy its
/// registry entry selects. One model and one options instance serve every tier; only the
/// connection and the binding differ. The one place the Api registers and creates tenant data contexts.
/// </summary>
public sealed class TenantStorage(IEnumerable<IIsolationStrategy> strategies)
{
    private readonly Dictionary<Tenancy.Plans.IsolationKind, IIsolationStrategy> _strategies = strategies.ToDictionary(s => s.Kind);

    /// <param name="writes">The request may write (anything but GET and HEAD): its commands wait out a tier move's freeze.</param>
    public TenantDataContext Open(ResolvedTenant tenant, bool writes)
    {
        var strategy = _strategies[tenant.Isolation];
        var context = new TenantDataContext(TenantDataOptions.Bound, tenant.Shape);
        context.Database.SetDbConnection(strategy.CreateConnection(tenant), contextOwnsConnection: true);
        context.BindTo(strategy.Bind(tenant, writes));
        return context;
    }

    /// <summary>The tenant's server cut a connection: the pool's others are dropped too, so the next requests open fresh ones.</summary>
    public void DropPooledConnections(ResolvedTenant tenant) => _strategies[tenant.Isolation].DropPooledConnections(tenant);
}
