using TieredTenancy.Tenancy.Http;
using TieredTenancy.Tenancy.Identity;

namespace TieredTenancy.Api.Tenants;

/// <summary>
/// A tenant's clients are <c>member</c>s (projects, tasks and comments) or <c>admin</c>s (also
/// deleting projects, the audit trail, the export and the tenant's own member clients).
/// </summary>
public static class TenantRoles
{
    /// <summary>
    /// Only a tenant's <c>admin</c> clients (and a platform admin acting on the tenant, which is
    /// audited) may call the endpoint; a <c>member</c> gets 403. Checked before any other filter
    /// of the endpoint, so a member learns nothing from it (not even whether its body was valid).
    /// </summary>
    public static TBuilder RequireTenantAdmin<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.Add(endpoint => endpoint.FilterFactories.Insert(0, (_, next) => async invocation =>
            IsTenantAdmin(invocation.HttpContext)
                ? await next(invocation)
                : Problems.Forbidden("Only the tenant's admin clients may do this; this client is a member.")));
        return builder.ProducesProblems(StatusCodes.Status403Forbidden);
    }

    private static bool IsTenantAdmin(HttpContext http) =>
        http.User.IsInRole(TenancyRoles.Admin) || http.User.IsInRole(TenancyRoles.PlatformAdmin);
}
