using System.ComponentModel;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using TieredTenancy.Provisioner.Audit;
using TieredTenancy.Provisioner.Broadcast;
using TieredTenancy.Tenancy.Http;
using TieredTenancy.Tenancy.Plans;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Plans;

public static class PlanEndpoints
{
    public static RouteGroupBuilder MapPlanEndpoints(this RouteGroupBuilder admin)
    {
        admin.MapGet("/plans", ListAsync).WithTags("Plans")
            .WithName("ListPlans").WithSummary("List the plans: isolation, features and limits, smallest first");
        admin.MapPut("/plans/{name}/limits", ChangeLimitsAsync).WithTags("Plans")
            .WithName("ChangePlanLimits").WithSummary("Change a plan's limits; every tenant of the plan gets them within a second")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return admin;
    }

    private static async Task<Ok<List<PlanResponse>>> ListAsync(CatalogDbContext catalog, CancellationToken cancellationToken) =>
        TypedResults.Ok((await catalog.Plans.AsNoTracking().OrderBy(plan => plan.Limits.RequestsPerMinute).ToListAsync(cancellationToken))
            .Select(PlanResponse.From)
            .ToList());

    private static async Task<Results<Ok<PlanResponse>, ProblemHttpResult>> ChangeLimitsAsync([Description("The plan's name, e.g. free.")] string name,
        ValidatedBody<PlanLimitsResponse> body, CatalogDbContext catalog, PlanCatalog plans, ControlPlaneAudit audit, RegistryBroadcast broadcast,
        CancellationToken cancellationToken)
    {
        var plan = await catalog.Plans.SingleOrDefaultAsync(p => p.Name == name, cancellationToken);
        if (plan is null)
        {
            return Problems.NotFound($"There is no plan named '{name}'.");
        }
        var limits = body.Value;
        plan.Limits = new PlanLimits
        {
            RequestsPerMinute = limits.RequestsPerMinute, RequestBurst = limits.RequestBurst, ConcurrentRequests = limits.ConcurrentRequests,
            MaxProjects = limits.MaxProjects, StorageMegabytes = limits.StorageMegabytes,
        };
        audit.Record("plan.limits", null, $"plan={name} {limits}");
        await catalog.SaveChangesAsync(cancellationToken);
        plans.Forget();
        // Each replica's cached tenant entries carry their plan's limits: all of them are dropped.
        await broadcast.PlansChangedAsync();
        return TypedResults.Ok(PlanResponse.From(plan));
    }
}

public sealed record PlanResponse(string Name, string Isolation, IReadOnlyList<string> Features, PlanLimitsResponse Limits)
{
    public static PlanResponse From(Plan plan) =>
        new(plan.Name, plan.Isolation.ToString().ToLowerInvariant(), plan.Features,
            new PlanLimitsResponse(plan.Limits.RequestsPerMinute, plan.Limits.RequestBurst, plan.Limits.ConcurrentRequests, plan.Limits.MaxProjects,
                plan.Limits.StorageMegabytes));
}

public sealed record PlanLimitsResponse(
    [property: Description("Sustained requests per minute per tenant, across every Api replica.")] int RequestsPerMinute,
    [property: Description("Requests a tenant may send at once above its rate.")] int RequestBurst,
    [property: Description("Requests of one tenant in flight at once, across every Api replica.")] int ConcurrentRequests,
    [property: Description("Projects a tenant may hold.")] int MaxProjects,
    [property: Description("Storage a tenant may use, in MB.")] int StorageMegabytes) : IValidatedRequest
{
    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>();
        Check(errors, "requestsPerMinute", RequestsPerMinute, 1_000_000);
        Check(errors, "requestBurst", RequestBurst, 100_000);
        Check(errors, "concurrentRequests", ConcurrentRequests, 10_000);
        Check(errors, "maxProjects", MaxProjects, 10_000_000);
        Check(errors, "storageMegabytes", StorageMegabytes, 100_000_000);
        return errors;
    }

    private static void Check(Dictionary<string, string[]> errors, string field, int value, int max)
    {
        if (value < 1 || value > max)
        {
            errors[field] = [$"{field} must be 1 to {max}."];
        }
    }
}
