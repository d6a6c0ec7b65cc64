using System.ComponentModel;
using Microsoft.AspNetCore.Http.HttpResults;
using TieredTenancy.Provisioner.Plans;
using TieredTenancy.Provisioner.Tenants;
using TieredTenancy.Tenancy.Http;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Usage;

public static class UsageEndpoints
{
    public static RouteGroupBuilder MapUsageEndpoints(this RouteGroupBuilder admin)
    {
        admin.MapGet("/tenants/{id}/usage", GetAsync).WithTags("Tenants")
            .WithName("GetTenantUsage").WithSummary("A tenant's requests per day, rows and bytes per table, against its plan's limits")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        return admin;
    }

    private static async Task<Results<Ok<TenantUsageReport>, ProblemHttpResult>> GetAsync([Description(RouteIds.TenantDescription)] string id,
        TenantLookup lookup, PlanCatalog plans, TenantUsage usage, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var tenantId, out var problem))
        {
            return problem;
        }
        var tenant = await lookup.FindExistingAsync(tenantId, cancellationToken);
        if (tenant is null)
        {
            return Problems.For(Refusal.NoTenant(id));
        }
        var plan = await plans.FindAsync(tenant.Plan, cancellationToken);
        return TypedResults.Ok(await usage.MeasureAsync(tenant, plan!, cancellationToken));
    }
}
