using System.Diagnostics;
using System.Security.Claims;
using TieredTenancy.Api.Telemetry;
using TieredTenancy.Tenancy.Data;
using TieredTenancy.Tenancy.Http;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Api.Tenants;

/// <summary>
/// Decides which tenant a request acts on, before any data access (it runs as middleware, ahead of
/// the binding of handler parameters such as the data context): the tenant from a validated token;
/// an <c>X-Tenant</c> header or subdomain, when present, must agree; the tenant must be served; a
/// platform admin names the tenant with <c>X-Tenant</c> and every such request is audited.
/// Only endpoints marked <see cref="TenantPlaneEndpoint"/> are resolved.
/// </summary>
public sealed class TenantResolution(RequestDelegate next, TenantRegistryCache registry, TenantRequestMetrics metrics, IConfiguration configuration,
    ILogger<TenantResolution> logger)
{
    public const string TenantHeader = "X-Tenant";
    public const string TenantIdClaim = "tenant_id";
    public const string PlatformAdminRole = "platform-admin";

    // Read once: the middleware lives as long as the process.
    private readonly string? _rootDomain = configuration["Tenancy:RootDomain"];

    public async Task InvokeAsync(HttpContext http, TenantContext context)
    {
        if (http.GetEndpoint()?.Metadata.GetMetadata<TenantPlaneEndpoint>() is null)
        {
            await next(http);
            return;
        }
        var refusal = await ResolveAsync(http, context);
        if (refusal is not null)
        {
            await refusal.ExecuteAsync(http);
            return;
        }
        using (logger.BeginScope(new Dictionary<string, object> { ["TenantId"] = context.Tenant.Id, ["TenantIsolation"] = context.Tenant.Isolation }))
        {
            await next(http);
        }
    }

    /// <summary>Resolves the tenant into <paramref name="context"/>, or returns why the request is refused.</summary>
    private async Task<IResult?> ResolveAsync(HttpContext http, TenantContext context)
    {
        var user = http.User;
        var actor = user.FindFirstValue("sub") ?? "";
        var named = http.Request.Headers[TenantHeader].ToString();
        var subdomain = Subdomain(http.Request.Host.Host);
        var cancellationToken = http.RequestAborted;

        ResolvedTenant? tenant;
        var isPlatformAdmin = user.IsInRole(PlatformAdminRole);
        if (isPlatformAdmin)
        {
            var slug = named.Length > 0 ? named : subdomain;
            if (string.IsNullOrEmpty(slug))
            {
                return Problems.BadRequest($"A platform-admin request names the tenant it acts on with the {TenantHeader} header.");
            }
            if (!TenantNames.SlugPattern().IsMatch(slug))
            {
                return Problems.BadRequest($"{TenantHeader} must be a tenant slug.");
            }
            tenant = await registry.FindBySlugAsync(slug, cancellationToken);
            if (tenant is null)
            {
                return Problems.NotFound($"There is no tenant '{slug}'.");
            }
        }
        else
        {
            if (!Guid.TryParse(user.FindFirstValue(TenantIdClaim), out var tenantId))
            {
                return Results.Problem("The token carries no tenant.", statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized.");
            }
            tenant = await registry.FindAsync(tenantId, cancellationToken);
            if (tenant is null)
            {
                return Problems.Forbidden("The token's tenant does not exist.");
            }
            if ((named.Length > 0 && named != tenant.Slug && named != tenant.Id.ToString())
                || (subdomain is not null && subdomain != tenant.Slug))
            {
                return Problems.Forbidden("The token belongs to another tenant than the one this request names.");
            }
        }

        if (!tenant.IsServed)
        {
            return Problems.Forbidden($"The tenant is {tenant.Status.ToString().ToLowerInvariant()}.");
        }

        context.Resolve(tenant, actor);
        Activity.Current?.SetTag("tenant.id", tenant.Id.ToString());
        Activity.Current?.SetTag("tenant.isolation", tenant.Isolation.ToString().ToLowerInvariant());
        Activity.Current?.SetTag("tenant.plan", tenant.Plan);
        metrics.Record(tenant);

        if (isPlatformAdmin)
        {
            // Platform-admin access to tenant data leaves a trace in the tenant's own audit trail, before anything is read.
            var data = http.RequestServices.GetRequiredService<TenantDataContext>();
            data.AuditEntries.Add(new TenantAuditEntry
            {
                TenantId = tenant.Id,
                Actor = actor,
                Action = "platform-admin.access",
                Target = $"{http.Request.Method} {http.Request.Path}",
            });
            await data.SaveChangesAsync(cancellationToken);
        }

        return null;
    }

    private string? Subdomain(string host)
    {
        // Only under the configured root domain (e.g. acme.app.example.com → acme); any other host names no tenant.
        var root = _rootDomain;
        if (string.IsNullOrEmpty(root) || !host.EndsWith("." + root, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var label = host[..^(root.Length + 1)];
        return label.Contains('.') ? null : label.ToLowerInvariant();
    }
}

/// <summary>Marks the endpoints that act on a tenant's data, so <see cref="TenantResolution"/> resolves the tenant first.</summary>
public sealed class TenantPlaneEndpoint;
