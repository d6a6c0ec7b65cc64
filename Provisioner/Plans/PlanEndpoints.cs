using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Plans;

public static class PlanEndpoints
{
    public static RouteGroupBuilder MapPlanEndpoints(this RouteGroupBuilder admin)
    {
        admin.MapGet("/plans", ListAsync).WithTags("Plans")
            .WithName("ListPlans").WithSummary("List the plans: isolation, features and limits, smallest first");
        return admin;
    }

    private static async Task<Ok<List<PlanResponse>>> ListAsync(CatalogDbContext catalog, CancellationToken cancellationToken) =>
        TypedResults.Ok((await catalog.Plans.AsNoTracking().OrderBy(plan => plan.Limits.RequestsPerMinute).ToListAsync(cancellationToken))
            .Select(plan => new PlanResponse(plan.Name, plan.Isolation.ToString().ToLowerInvariant(), plan.Features,
                new PlanLimitsResponse(plan.Limits.RequestsPerMinute, plan.Limits.MaxProjects, plan.Limits.StorageMegabytes)))
            .ToList());
}

public sealed record PlanResponse(string Name, string Isolation, IReadOnlyList<string> Features, PlanLimitsResponse Limits);

public sealed record PlanLimitsResponse(int RequestsPerMinute, int MaxProjects, int StorageMegabytes);
