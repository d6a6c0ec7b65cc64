using TieredTenancy.Tenancy.Http;
using TieredTenancy.Tenancy.Identity;

namespace TieredTenancy.Api.Tenants;

public static class TenantRoles
{
    /// <summary>
    /// Only a tenant's <c>admin</c> clients (and a platform admin acting on the tenant, which is
    /// audited) may call the endpoint; a <c>member</c> gets 403.
    /// </summary>
    public static TBuilder RequireTenantAdmin<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (invocation, next) =>
            invocation.HttpContext.User.IsInRole(TenancyRoles.Admin) || invocation.HttpContext.User.IsInRole(TenancyRoles.PlatformAdmin)
                ? await next(invocation)
                : Problems.Forbidden("Only the tenant's admin clients may do this; this client is a member."))
        .ProducesProblems(StatusCodes.Status403Forbidden);
}
