using TieredTenancy.Api.Tenants;
using TieredTenancy.Tenancy.Data;

namespace TieredTenancy.Api.Audit;

/// <summary>Adds an entry to the tenant's own audit trail, saved with the change it describes.</summary>
public sealed class TenantAudit(TenantDataContext data, RequestTenant tenant)
{
    public void Record(string action, Guid target) => Record(action, target.ToString());

    public void Record(string action, string target) =>
        data.AuditEntries.Add(new TenantAuditEntry
        {
            TenantId = tenant.Tenant.Id,
            Actor = tenant.Actor,
            Action = action,
            Target = target,
        });
}
