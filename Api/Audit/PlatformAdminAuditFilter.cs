using TieredTenancy.Tenancy.Data;
using TieredTenancy.Tenancy.Identity;

namespace TieredTenancy.Api.Audit;

/// <summary>
/// Platform-admin access to tenant data leaves a trace in the tenant's own audit trail, saved before the endpoint runs.
/// A filter, not a step of resolution, so a request retried on a fresh scope is audited where it is finally served.
/// </summary>
public static class PlatformAdminAuditFilter
{
    public const string Action = "platform-admin.access";

    public static readonly Func<EndpointFilterFactoryContext, EndpointFilterDelegate, EndpointFilterDelegate> Factory = (_, next) => async invocation =>
    {
        var http = invocation.HttpContext;
        if (http.User.IsInRole(TenancyRoles.PlatformAdmin))
        {
            var services = http.RequestServices;
            services.GetRequiredService<TenantAuditTrail>().Record(Action, $"{http.Request.Method} {http.Request.Path}");
            await services.GetRequiredService<TenantDataContext>().SaveChangesAsync(http.RequestAborted);
        }
        return await next(invocation);
    };
}
