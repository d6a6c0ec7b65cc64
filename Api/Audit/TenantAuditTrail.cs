using TieredTenancy.Api.Tenants;
using TieredTenancy.Tenancy.Data;

namespace TieredTenancy.Api.Audit;

/// <summary>
/// Tenant plane (Api): adds a <see cref="TenantAuditEntry"/> to the tenant's own audit trail, kept with
/// its data and saved with the change it describes. What the control plane does to tenants is the
/// Provisioner's <c>ControlPlaneAudit</c>, in the catalog.
/// </summary>
public sealed class TenantAuditTrail(TenantDataContext data, RequestTenant tenant)
{
    public void Record(string action, Guid target) => Record(action, target.ToString());

    public void Record(string action, string target) => data.AuditEntries.Add(Entry(tenant.Tenant.Id, tenant.Actor, action, target));

    /// <summary>An entry of <paramref name="tenantId"/>'s trail, for code that has no request tenant to read (the benchmark's plain baseline).</summary>
    public static TenantAuditEntry Entry(Guid tenantId, string actor, string action, string target) =>
        new() { TenantId = tenantId, Actor = actor, Action = action, Target = target };
}
