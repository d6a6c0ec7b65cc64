namespace TieredTenancy.Api.Tenants;

/// <summary>
/// Tenant plane (Api), one per request: the tenant the current request acts on and who acts, set by
/// <see cref="TenantResolution"/> before any data access. Not the tenant's data: that is
/// <see cref="TieredTenancy.Tenancy.Data.TenantDataContext"/>, opened for this tenant.
/// </summary>
public sealed class RequestTenant
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
