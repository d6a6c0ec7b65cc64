using System.ComponentModel;
using Microsoft.AspNetCore.Http.HttpResults;
using TieredTenancy.Provisioner.Audit;
using TieredTenancy.Provisioner.Broadcast;
using TieredTenancy.Provisioner.Operations;
using TieredTenancy.Provisioner.Plans;
using TieredTenancy.Provisioner.Servers;
using TieredTenancy.Provisioner.Storage;
using TieredTenancy.Provisioner.Tenants;
using TieredTenancy.Tenancy.Http;
using TieredTenancy.Tenancy.Plans;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Moves;

public static class MoveEndpoints
{
    public static RouteGroupBuilder MapMoveEndpoints(this RouteGroupBuilder admin)
    {
        var tenants = admin.MapGroup("/tenants").WithTags("Tenants");
        tenants.MapPut("/{id}/plan", ChangePlanAsync)
            .WithName("ChangePlan").WithSummary("Change a tenant's plan; a plan of another isolation moves the tenant's data online")
            .WithDescription("200 with the tenant when the isolation stays; 202 with the move's operation when it changes. "
                + "409 when the tenant's data exceeds the new plan's limits (unless force), it is not active, or an operation runs on it; "
                + "503 when the new plan's isolation needs a dedicated server and none has room.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        tenants.MapPost("/{id}/move", MoveToServerAsync)
            .WithName("MoveToServer").WithSummary("Move a database-tier tenant to another dedicated server")
            .WithDescription("409 when the tenant is not at database isolation, is on that server already, that server holds its limit of tenants, it is not active, or an operation runs on it.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return admin;
    }

    /// <summary>
    /// A plan with the same isolation changes at once (features and limits follow on every replica
    /// through the broadcast); a plan of another isolation starts a tier move (202 + operation).
    /// </summary>
    private static async Task<Results<Ok<TenantResponse>, Accepted<OperationResponse>, ValidationProblem, ProblemHttpResult>> ChangePlanAsync(
        [Description(RouteIds.TenantDescription)] string id, JsonBody<ChangePlanRequest> body, CatalogDbContext catalog, PlanCatalog plans,
        TenantLookup lookup, TierMoveStarter moves, ControlPlaneAudit audit, RegistryBroadcast broadcast, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var tenantId, out var problem))
        {
            return problem;
        }
        var plan = body.Value.Plan is null ? null : await plans.FindAsync(body.Value.Plan, cancellationToken);
        if (plan is null)
        {
            return Problems.Validation(new Dictionary<string, string[]> { ["plan"] = [await plans.UnknownPlanErrorAsync(cancellationToken)] });
        }
        var (tenant, refusal) = await lookup.FindIdleAsync(id, tenantId, cancellationToken);
        if (refusal is not null)
        {
            return Problems.For(refusal);
        }
        if (plan.Isolation != tenant!.Isolation)
        {
            var (operation, notStarted) = await moves.StartAsync(tenant, plan, server: null, body.Value.Force ?? false, cancellationToken);
            return notStarted is not null ? Problems.For(notStarted) : OperationResponse.Accepted(operation!);
        }
        if (tenant.Plan != plan.Name)
        {
            audit.Record("tenant.plan", tenant.Id, $"from={tenant.Plan} to={plan.Name}");
            tenant.Plan = plan.Name;
            tenant.UpdatedAt = DateTimeOffset.UtcNow;
            await catalog.SaveChangesAsync(cancellationToken);
            await broadcast.TenantChangedAsync(tenant.Id);
        }
        return TypedResults.Ok(await lookup.DescribeAsync(tenant, cancellationToken));
    }

    /// <summary>Rebalancing: the same plan and tier, another dedicated server, through the same move.</summary>
    private static async Task<Results<Accepted<OperationResponse>, ValidationProblem, ProblemHttpResult>> MoveToServerAsync(
        [Description(RouteIds.TenantDescription)] string id, JsonBody<MoveToServerRequest> body, PlanCatalog plans, TenantLookup lookup,
        TenantServers servers, TierMoveStarter moves, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var tenantId, out var problem))
        {
            return problem;
        }
        var server = body.Value.Server;
        if (server is null || !servers.DedicatedServers.Contains(server))
        {
            return Problems.Validation(new Dictionary<string, string[]>
            {
                ["server"] = [$"server must be one of the dedicated servers: {string.Join(", ", servers.DedicatedServers)}."],
            });
        }
        var (tenant, refusal) = await lookup.FindIdleAsync(id, tenantId, cancellationToken);
        if (refusal is not null)
        {
            return Problems.For(refusal);
        }
        if (tenant!.Isolation != IsolationKind.Database)
        {
            return Problems.Conflict($"Only database-tier tenants live on a dedicated server; this tenant is at {tenant.Isolation.ToString().ToLowerInvariant()} isolation.");
        }
        if (tenant.Placement.Server == server)
        {
            return Problems.Conflict($"The tenant is on {server} already.");
        }
        var plan = (await plans.FindAsync(tenant.Plan, cancellationToken))!;
        var (operation, notStarted) = await moves.StartAsync(tenant, plan, server, force: true, cancellationToken);
        return notStarted is not null ? Problems.For(notStarted) : OperationResponse.Accepted(operation!);
    }
}

// Force has a default: OpenAPI lists a record's parameters without one as required.
public sealed record ChangePlanRequest(
    [property: Description("The new plan's name.")] string? Plan,
    [property: Description("Move even when the tenant's data exceeds the new plan's limits; false by default.")] bool? Force = null);

public sealed record MoveToServerRequest([property: Description("The dedicated server to move to.")] string? Server);
