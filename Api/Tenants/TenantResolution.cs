using System.Diagnostics;
using System.Security.Claims;
using TieredTenancy.Api.Telemetry;
using TieredTenancy.Api.Tenants.Naming;
using TieredTenancy.Tenancy.Http;
using TieredTenancy.Tenancy.Identity;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Api.Tenants;

/// <summary>
/// Decides which tenant a request acts on, as middleware so it is decided before any data access. A tenant client's token
/// names its tenant (an <c>X-Tenant</c> header or subdomain, if given, must agree); a platform admin's names none, so
/// <c>X-Tenant</c>, else the subdomain, names it by slug. Either way the tenant must be served.
/// </summary>
public sealed class TenantResolution(RequestDelegate next, TokenTenantNaming token, HeaderTenantNaming header, SubdomainTenantNaming subdomain,
    TenantRegistryCache registry, ILogger<TenantResolution> logger)
{
    public async Task InvokeAsync(HttpContext http)
    {
        if (!TenantPlane.Includes(http))
        {
            await next(http);
            return;
        }
        var (tenant, refusal) = await FindNamedTenantAsync(http);
        refusal ??= Enter(http.RequestServices, tenant!, http.User.FindFirstValue(TenancyClaims.Subject) ?? "");
        if (refusal is not null)
        {
            await refusal.ExecuteAsync(http);
            return;
        }
        using (logger.BeginScope(tenant!.LogScope))
        {
            await next(http);
        }
    }

    /// <summary>
    /// Puts <paramref name="tenant"/> into the <see cref="RequestTenant"/> of the request scope
    /// <paramref name="requestServices"/>, or says why it may not be served. Callable on its own:
    /// a request retried on a fresh scope enters its tenant again from a fresh registry entry.
    /// </summary>
    public static IResult? Enter(IServiceProvider requestServices, ResolvedTenant tenant, string actor)
    {
        if (!tenant.IsServed)
        {
            return Problems.Forbidden($"The tenant is {tenant.Status.ToString().ToLowerInvariant()}.");
        }
        requestServices.GetRequiredService<RequestTenant>().Resolve(tenant, actor);
        if (Activity.Current is { } activity)
        {
            activity.SetTag("tenant.id", tenant.IdText);
            activity.SetTag("tenant.isolation", tenant.IsolationName);
            activity.SetTag("tenant.plan", tenant.Plan);
        }
        requestServices.GetRequiredService<TenantRequestMetrics>().Record(tenant.IsolationName, tenant.Plan);
        return null;
    }

    private async ValueTask<(ResolvedTenant? Tenant, IResult? Refusal)> FindNamedTenantAsync(HttpContext http)
    {
        var cancellationToken = http.RequestAborted;
        if (http.User.IsInRole(TenancyRoles.PlatformAdmin))
        {
            var slug = header.NameIn(http) ?? subdomain.NameIn(http);
            if (string.IsNullOrEmpty(slug))
            {
                return (null, Problems.BadRequest($"A platform-admin request names the tenant it acts on with the {HeaderTenantNaming.HeaderName} header."));
            }
            if (!TenantNames.SlugPattern().IsMatch(slug))
            {
                return (null, Problems.BadRequest($"{HeaderTenantNaming.HeaderName} must be a tenant slug."));
            }
            return await registry.FindBySlugAsync(slug, cancellationToken) is { } named
                ? (named, null)
                : (null, Problems.NotFound($"There is no tenant '{slug}'."));
        }

        if (!Guid.TryParse(token.NameIn(http), out var tenantId))
        {
            return (null, Problems.Unauthorized("The token carries no tenant."));
        }
        var tenant = await registry.FindAsync(tenantId, cancellationToken);
        if (tenant is null)
        {
            return (null, Problems.Forbidden("The token's tenant does not exist."));
        }
        var byHeader = header.NameIn(http);
        var bySubdomain = subdomain.NameIn(http);
        if ((byHeader is not null && byHeader != tenant.Slug && byHeader != tenant.Id.ToString()) || (bySubdomain is not null && bySubdomain != tenant.Slug))
        {
            return (null, Problems.Forbidden("The token belongs to another tenant than the one this request names."));
        }
        return (tenant, null);
    }
}
