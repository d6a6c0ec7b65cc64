using System.ComponentModel;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using TieredTenancy.Provisioner.Plans;
using TieredTenancy.Provisioner.Usage;
using TieredTenancy.Tenancy.Http;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Tenants;

public static class TenantEndpoints
{
    public static RouteGroupBuilder MapTenantEndpoints(this RouteGroupBuilder admin)
    {
        var tenants = admin.MapGroup("/tenants").WithTags("Tenants");
        tenants.MapGet("/", ListAsync)
            .WithName("ListTenants").WithSummary("List tenants, optionally of one plan or status");
        tenants.MapGet("/{idOrSlug}", GetAsync)
            .WithName("GetTenant").WithSummary("Get a tenant by its id or its slug")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        tenants.MapPost("/{id}/suspend", SuspendAsync)
            .WithName("SuspendTenant").WithSummary("Stop serving a tenant")
            .WithDescription("409 when the tenant is not active, or an operation runs on it.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        tenants.MapPost("/{id}/resume", ResumeAsync)
            .WithName("ResumeTenant").WithSummary("Serve a suspended tenant again")
            .WithDescription("409 when the tenant is not suspended, or an operation runs on it.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return admin;
    }

    private static async Task<Results<Ok<PagedList<TenantResponse>>, ValidationProblem>> ListAsync([AsParameters] PageQuery paging,
        [AsParameters] TenantListQuery filter, CatalogDbContext catalog, PlanCatalog plans, TenantLookup lookup, TenantUsage usage,
        CancellationToken cancellationToken)
    {
        if (!paging.TryRead(out var page, out var problem))
        {
            return problem;
        }

        var query = catalog.Tenants.AsNoTracking().Where(tenant => tenant.Status != TenantStatus.Provisioning);
        var errors = new Dictionary<string, string[]>();
        if (!string.IsNullOrEmpty(filter.Plan))
        {
            var plan = filter.Plan;
            if (await plans.FindAsync(plan, cancellationToken) is null)
            {
                errors["plan"] = ["plan must name an existing plan."];
            }
            query = query.Where(tenant => tenant.Plan == plan);
        }
        if (!string.IsNullOrEmpty(filter.Status))
        {
            if (EnumQuery.TryParse<TenantStatus>(filter.Status, out var status) && status != TenantStatus.Provisioning)
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

        if (filter.OverLimits == true)
        {
            return TypedResults.Ok(await OverLimitsAsync(query, page, plans, usage, lookup, cancellationToken));
        }
        var total = await query.CountAsync(cancellationToken);
        var items = await query.OrderBy(tenant => tenant.Id).Skip(page.Skip).Take(page.PageSize).ToListAsync(cancellationToken);
        return TypedResults.Ok(new PagedList<TenantResponse>(await lookup.DescribeAsync(items, cancellationToken), page.Page, page.PageSize, total));
    }

    /// <summary>Each tenant with data (not deleted) measured one after another; a page of those over a limit.</summary>
    private static async Task<PagedList<TenantResponse>> OverLimitsAsync(IQueryable<Tenant> query, PageRequest page, PlanCatalog plans, TenantUsage usage,
        TenantLookup lookup, CancellationToken cancellationToken)
    {
        var over = new List<Tenant>();
        foreach (var tenant in await query.Where(tenant => tenant.Status != TenantStatus.Deleted).OrderBy(tenant => tenant.Id).ToListAsync(cancellationToken))
        {
            if ((await usage.MeasureAsync(tenant, (await plans.FindAsync(tenant.Plan, cancellationToken))!, cancellationToken)).OverLimits.Count > 0)
            {
                over.Add(tenant);
            }
        }
        var items = over.Skip(page.Skip).Take(page.PageSize).ToList();
        return new PagedList<TenantResponse>(await lookup.DescribeAsync(items, cancellationToken), page.Page, page.PageSize, over.Count);
    }

    private static async Task<Results<Ok<TenantResponse>, ProblemHttpResult>> GetAsync(
        [Description("The tenant's id (a UUID) or its slug.")] string idOrSlug, TenantLookup lookup, CancellationToken cancellationToken)
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
        return tenant is null ? Problems.For(Refusal.NoTenant(idOrSlug)) : TypedResults.Ok(await lookup.DescribeAsync(tenant, cancellationToken));
    }

    private static Task<Results<Ok<TenantResponse>, ProblemHttpResult>> SuspendAsync([Description(RouteIds.TenantDescription)] string id,
        TenantStatusChange change, TenantLookup lookup, CancellationToken cancellationToken) =>
        ChangeStatusAsync(id, TenantStatus.Active, TenantStatus.Suspended, "tenant.suspend", change, lookup, cancellationToken);

    private static Task<Results<Ok<TenantResponse>, ProblemHttpResult>> ResumeAsync([Description(RouteIds.TenantDescription)] string id,
        TenantStatusChange change, TenantLookup lookup, CancellationToken cancellationToken) =>
        ChangeStatusAsync(id, TenantStatus.Suspended, TenantStatus.Active, "tenant.resume", change, lookup, cancellationToken);

    private static async Task<Results<Ok<TenantResponse>, ProblemHttpResult>> ChangeStatusAsync(string id, TenantStatus from, TenantStatus to,
        string action, TenantStatusChange change, TenantLookup lookup, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var tenantId, out var problem))
        {
            return problem;
        }
        var (tenant, refusal) = await change.ApplyAsync(tenantId, from, to, action, cancellationToken);
        return refusal is not null ? Problems.For(refusal) : TypedResults.Ok(await lookup.DescribeAsync(tenant!, cancellationToken));
    }
}

/// <summary><c>?plan=&amp;status=</c> of the tenant list, still as text, so the handler can say what is wrong with them.</summary>
public sealed class TenantListQuery
{
    [FromQuery(Name = "plan"), Description("Only tenants of this plan (a plan's name).")]
    public string? Plan { get; init; }

    [FromQuery(Name = "status"), Description("Only tenants in this status: active, suspended, moving, offboarding or deleted.")]
    public string? Status { get; init; }

    [FromQuery(Name = "overLimits"), Description("Only tenants whose usage exceeds their plan's limits (projects, storage): candidates for an upgrade. Measures each tenant's storage.")]
    public bool? OverLimits { get; init; }
}
