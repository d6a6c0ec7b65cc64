using System.Security.Claims;
using TieredTenancy.Tenancy.Identity;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Audit;

/// <summary>Adds an audit event to the unit of work of the change it describes, so both commit or neither.</summary>
public sealed class AuditLog(CatalogDbContext catalog, IHttpContextAccessor http)
{
    /// <param name="actor">Who, when it is not the caller of the current request (a background operation's requester).</param>
    public void Record(string action, Guid? tenantId, string? detail = null, string? actor = null) =>
        catalog.AuditEvents.Add(new AuditEvent
        {
            Actor = actor ?? Actor(http.HttpContext?.User),
            Action = action,
            TenantId = tenantId,
            Detail = detail,
        });

    private static string Actor(ClaimsPrincipal? user) =>
        user?.FindFirst(TenancyClaims.Subject)?.Value ?? "system";
}
