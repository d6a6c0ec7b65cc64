using Microsoft.EntityFrameworkCore;
using TieredTenancy.Provisioner.Audit;
using TieredTenancy.Provisioner.Operations;
using TieredTenancy.Provisioner.Plans;
using TieredTenancy.Tenancy.Http;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Tenants;

public static class TenantEndpoints
{
    public static RouteGroupBuilder MapTenantEndpoints(this RouteGroupBuilder admin)
    {
        var tenants = admin.MapGroup("/tenants").WithTags("Tenants");
        tenants.MapGet("/", ListAsync);
        tenants.MapGet("/{idOrSlug}", GetAsync);
        tenants.MapPost("/{id}/suspend", (string id, TenantStatusChange change, CancellationToken cancellationToken) =>
            change.ApplyAsync(id, TenantStatus.Active, TenantStatus.Suspended, "tenant.suspend", cancellationToken));
        tenants.MapPost("/{id}/resume", (string id, TenantStatusChange change, CancellationToken cancellationToken) =>
            change.ApplyAsync(id, TenantStatus.Suspended, TenantStatus.Active, "tenant.resume", cancellationToken));
        return admin;
    }

    private static async Task<IResult> ListAsync(HttpRequest request, CatalogDbContext catalog, PlanCatalog plans, TenantLookup lookup,
        CancellationToken cancellationToken)
    {
        if (!PageRequest.TryParse(request, out var page, out var problem))
        {
            return problem!;
        }

        var query = catalog.Tenants.AsNoTracking().Where(tenant => tenant.Status != TenantStatus.Provisioning);
        var errors = new Dictionary<string, string[]>();
        if (request.Query["plan"] is { Count: > 0 } planFilter && !string.IsNullOrEmpty(planFilter[0]))
        {
            var plan = planFilter[0]!;
            if (await plans.FindAsync(plan, cancellationToken) is null)
            {
                errors["plan"] = ["plan must name an existing plan."];
            }
            query = query.Where(tenant => tenant.Plan == plan);
        }
        if (request.Query["status"] is { Count: > 0 } statusFilter && !string.IsNullOrEmpty(statusFilter[0]))
        {
            if (Enum.TryParse<TenantStatus>(statusFilter[0], ignoreCase: true, out var status) && status != TenantStatus.Provisioning
                && !int.TryParse(statusFilter[0], out _))
            {
                query = query.Where(tenant => tenant.Status == status);
            }
            else
            {
                errors["status"] = ["status must be one of: active, suspended, moving, offboarding, deleted."];
            }
        }
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        var total = await query.CountAsync(cancellationToken);
        var items = await query.OrderBy(tenant => tenant.Id).Skip(page.Skip).Take(page.PageSize).ToListAsync(cancellationToken);
        return Results.Ok(new PagedList<TenantResponse>(await lookup.DescribeAsync(items, cancellationToken), page.Page, page.PageSize, total));
    }

    private static async Task<IResult> GetAsync(string idOrSlug, TenantLookup lookup, CancellationToken cancellationToken)
    {
        Tenant? tenant;
        if (Guid.TryParseExact(idOrSlug, "D", out var id))
        {
            tenant = await lookup.FindAsync(id, cancellationToken);
        }
        else if (TenantNames.SlugPattern().IsMatch(idOrSlug))
        {
            tenant = await lookup.FindBySlugAsync(idOrSlug, cancellationToken);
        }
        else
        {
            return Problems.BadRequest("The tenant must be named by its id (a UUID) or its slug.");
        }
        return tenant is null
            ? Problems.NotFound($"There is no tenant '{idOrSlug}'.")
            : Results.Ok(await lookup.DescribeAsync(tenant, cancellationToken));
    }
}

/// <summary>Suspend and resume: a status change from one state to another, audited and broadcast.</summary>
public sealed class TenantStatusChange(CatalogDbContext catalog, TenantLookup lookup, TenantOperations operations, AuditLog audit, RegistryBroadcast broadcast)
{
    public async Task<IResult> ApplyAsync(string id, TenantStatus from, TenantStatus to, string action, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var tenantId, out var problem))
        {
            return problem!;
        }
        var tenant = await lookup.FindAsync(tenantId, cancellationToken);
        if (tenant is null)
        {
            return Problems.NotFound($"There is no tenant '{id}'.");
        }
        if (await operations.ConflictAsync(tenant.Id, cancellationToken) is { } conflict)
        {
            return conflict;
        }
        if (tenant.Status != to)
        {
            if (tenant.Status != from)
            {
                return Problems.Conflict($"The tenant is {tenant.Status.ToString().ToLowerInvariant()}; only a {from.ToString().ToLowerInvariant()} tenant can be changed to {to.ToString().ToLowerInvariant()}.");
            }
            tenant.Status = to;
            tenant.UpdatedAt = DateTimeOffset.UtcNow;
            audit.Record(action, tenant.Id);
            await catalog.SaveChangesAsync(cancellationToken);
            await broadcast.TenantChangedAsync(tenant.Id);
        }
        return Results.Ok(await lookup.DescribeAsync(tenant, cancellationToken));
    }
}
