using TieredTenancy.Tenancy.Identity;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Audit;

/// <summary>
/// Control plane (Provisioner): records what was done to tenants and clients (created, suspended,
/// moved, …) as a <see cref="ControlPlaneAuditEvent"/> in the catalog, in the unit of work of the
/// change it describes, so both commit or neither. A tenant's own trail is the Api's <c>TenantAuditTrail</c>.
/// </summary>
public sealed class ControlPlaneAudit(CatalogDbContext catalog, IHttpContextAccessor http)
{
    /// <summary>The actor of "system" work: undoing, recovering, anything no request asked for.</summary>
    public const string SystemActor = "system";

    /// <summary>Who acts now: the client id of the current request's caller, or <see cref="SystemActor"/>.</summary>
    public string Actor => http.HttpContext?.User.FindFirst(TenancyClaims.Subject)?.Value ?? SystemActor;

    /// <param name="actor">Who, when it is not the caller of the current request (a background operation's requester).</param>
    public void Record(string action, Guid? tenantId, string? detail = null, string? actor = null) =>
        catalog.AuditEvents.Add(new ControlPlaneAuditEvent
        {
            Actor = actor ?? Actor,
            Action = action,
            TenantId = tenantId,
            Detail = detail,
        });
}
