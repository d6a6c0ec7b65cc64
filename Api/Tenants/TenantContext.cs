namespace TieredTenancy.Api.Tenants;

/// <summary>The tenant the current request acts on, set by <see cref="TenantResolution"/> before any data access.</summary>
public sealed class TenantContext
{
    private ResolvedTenant? _tenant;

    public ResolvedTenant Tenant => _tenant ?? throw new InvalidOperationException("No tenant was resolved for this request.");

    public bool IsResolved => _tenant is not null;

    /// <summary>The client id of the caller.</summary>
    public string Actor { get; private set; } = "";

    public void Resolve(ResolvedTenant tenant, string actor)
    {
        _tenant = tenant;
        Actor = actor;
    }
}
