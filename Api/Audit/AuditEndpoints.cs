using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using TieredTenancy.Api.Features;
using TieredTenancy.Api.Tenants;
using TieredTenancy.Tenancy.Data;
using TieredTenancy.Tenancy.Http;
using TieredTenancy.Tenancy.Plans;

namespace TieredTenancy.Api.Audit;

public static class AuditEndpoints
{
    public static RouteGroupBuilder MapAuditEndpoints(this RouteGroupBuilder tenantPlane)
    {
        tenantPlane.MapGet("/audit-events", ListAsync).RequireFeature(PlanFeatures.AuditEvents).WithTags("Audit")
            .WithName("ListAuditEvents").WithSummary("The tenant's audit trail, newest first (the tenant's admin clients)")
            .RequireTenantAdmin();
        return tenantPlane;
    }

    private static async Task<Results<Ok<PagedList<AuditEventResponse>>, ValidationProblem>> ListAsync([AsParameters] PageQuery query,
        TenantDataContext data, CancellationToken cancellationToken)
    {
        if (!query.TryRead(out var page, out var problem))
        {
            return problem;
        }
        var total = await data.AuditEntries.CountAsync(cancellationToken);
        var items = await data.AuditEntries.AsNoTracking().OrderByDescending(e => e.At).Skip(page.Skip).Take(page.PageSize)
            .Select(e => new AuditEventResponse(e.Id, e.At, e.Actor, e.Action, e.Target)).ToListAsync(cancellationToken);
        return TypedResults.Ok(new PagedList<AuditEventResponse>(items, page.Page, page.PageSize, total));
    }
}

public sealed record AuditEventResponse(Guid Id, DateTimeOffset At, string Actor, string Action, string? Target);
