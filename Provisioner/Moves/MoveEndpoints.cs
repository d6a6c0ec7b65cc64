using TieredTenancy.Provisioner.Audit;
using TieredTenancy.Provisioner.Operations;
using TieredTenancy.Provisioner.Plans;
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
        tenants.MapPut("/{id}/plan", ChangePlanAsync).WithName("ChangePlan")
            .WithSummary("Changes a tenant's plan; a plan of another isolation moves the tenant's data online.")
            .Produces<TenantResponse>().Produces<OperationResponse>(StatusCodes.Status202Accepted);
        tenants.MapPost("/{id}/move", MoveToServerAsync).WithName("MoveToServer")
            .WithSummary("Moves a database-tier tenant to another dedicated server.")
            .Produces<OperationResponse>(StatusCodes.Status202Accepted);
        return admin;
    }

    /// <summary>
    /// A plan with the same isolation changes at once (features and limits follow on every replica
    /// through the broadcast); a plan of another isolation starts a tier move (202 + operation).
    /// </summary>
    private static async Task<IResult> ChangePlanAsync(string id, HttpRequest request, CatalogDbContext catalog, PlanCatalog plans, TenantLookup lookup,
        TenantOperations operations, TierMoves moves, AuditLog audit, RegistryBroadcast broadcast, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var tenantId, out var problem))
        {
            return problem!;
        }
        (var body, problem) = await JsonBody.ReadAsync<ChangePlanRequest>(request);
        if (problem is not null)
        {
            return problem;
        }
        var plan = body!.Plan is null ? null : await plans.FindAsync(body.Plan, cancellationToken);
        if (plan is null)
        {
            var known = (await plans.AllAsync(cancellationToken)).Keys.Order();
            return Problems.Validation(new Dictionary<string, string[]> { ["plan"] = [$"plan must be one of: {string.Join(", ", known)}."] });
        }
        var tenant = await lookup.FindAsync(tenantId, cancellationToken);
        if (tenant is null || tenant.Status == TenantStatus.Deleted)
        {
            return Problems.NotFound($"There is no tenant '{id}'.");
        }
        if (await operations.ConflictAsync(tenant.Id, cancellationToken) is { } conflict)
        {
            return conflict;
        }
        if (plan.Isolation != tenant.Isolation)
        {
            return await moves.StartAsync(tenant, plan, server: null, body.Force ?? false, cancellationToken);
        }
        if (tenant.Plan != plan.Name)
        {
            audit.Record("tenant.plan", tenant.Id, $"from={tenant.Plan} to={plan.Name}");
            tenant.Plan = plan.Name;
            tenant.UpdatedAt = DateTimeOffset.UtcNow;
            await catalog.SaveChangesAsync(cancellationToken);
            await broadcast.TenantChangedAsync(tenant.Id);
        }
        return Results.Ok(await lookup.DescribeAsync(tenant, cancellationToken));
    }

    /// <summary>Rebalancing: the same plan and tier, another dedicated server, through the same move.</summary>
    private static async Task<IResult> MoveToServerAsync(string id, HttpRequest request, PlanCatalog plans, TenantLookup lookup, TenantServers servers,
        TenantOperations operations, TierMoves moves, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var tenantId, out var problem))
        {
            return problem!;
        }
        (var body, problem) = await JsonBody.ReadAsync<MoveToServerRequest>(request);
        if (problem is not null)
        {
            return problem;
        }
        if (body!.Server is null || !servers.DedicatedServers.Contains(body.Server))
        {
            return Problems.Validation(new Dictionary<string, string[]>
            {
                ["server"] = [$"server must be one of the dedicated servers: {string.Join(", ", servers.DedicatedServers)}."],
            });
        }
        var tenant = await lookup.FindAsync(tenantId, cancellationToken);
        if (tenant is null || tenant.Status == TenantStatus.Deleted)
        {
            return Problems.NotFound($"There is no tenant '{id}'.");
        }
        if (await operations.ConflictAsync(tenant.Id, cancellationToken) is { } conflict)
        {
            return conflict;
        }
        if (tenant.Isolation != IsolationKind.Database)
        {
            return Problems.Conflict($"Only database-tier tenants live on a dedicated server; this tenant is at {tenant.Isolation.ToString().ToLowerInvariant()} isolation.");
        }
        if (tenant.Placement.Server == body.Server)
        {
            return Problems.Conflict($"The tenant is on {body.Server} already.");
        }
        var plan = (await plans.FindAsync(tenant.Plan, cancellationToken))!;
        return await moves.StartAsync(tenant, plan, body.Server, force: true, cancellationToken);
    }
}

public sealed record ChangePlanRequest(string? Plan, bool? Force);

public sealed record MoveToServerRequest(string? Server);
