using System.ComponentModel;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using TieredTenancy.Provisioner.Audit;
using TieredTenancy.Tenancy.Http;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Operations;

public static class OperationEndpoints
{
    public static RouteGroupBuilder MapOperationEndpoints(this RouteGroupBuilder admin)
    {
        var operations = admin.MapGroup("/operations").WithTags("Operations");
        operations.MapGet("/", ListAsync)
            .WithName("ListOperations").WithSummary("List operations, newest first, optionally of one tenant, kind or status");
        operations.MapGet("/{id}", GetAsync)
            .WithName("GetOperation").WithSummary("Get a long operation: phase, progress, report")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        operations.MapGet("/{id}/attempts", AttemptsAsync)
            .WithName("ListOperationAttempts").WithSummary("Every attempt at an operation: which Provisioner replica claimed it, when, and how it ended")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        operations.MapPost("/{id}/resume", ResumeAsync)
            .WithName("ResumeOperation").WithSummary("Run a failed or rolled-back operation again")
            .WithDescription("409 when the operation is still active or succeeded, cannot be resumed now, or another operation runs on its tenant.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return admin;
    }

    private static async Task<Results<Ok<OperationResponse>, ProblemHttpResult>> GetAsync([Description(IdDescription)] string id, CatalogDbContext catalog,
        CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var operationId, out var problem))
        {
            return problem;
        }
        var operation = await catalog.Operations.AsNoTracking().SingleOrDefaultAsync(o => o.Id == operationId, cancellationToken);
        return operation is null ? NotFound(id) : TypedResults.Ok(OperationResponse.From(operation));
    }

    private static async Task<Results<Ok<List<OperationAttemptResponse>>, ProblemHttpResult>> AttemptsAsync([Description(IdDescription)] string id,
        CatalogDbContext catalog, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var operationId, out var problem))
        {
            return problem;
        }
        if (!await catalog.Operations.AnyAsync(o => o.Id == operationId, cancellationToken))
        {
            return NotFound(id);
        }
        var claims = await catalog.OperationClaims.AsNoTracking().Where(c => c.OperationId == operationId).OrderBy(c => c.Attempt)
            .Select(c => new OperationAttemptResponse(c.Attempt, c.Instance, c.ClaimedAt, c.FencedAt, c.EndedBackends, c.EndedAt, c.Outcome))
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(claims);
    }

    private static async Task<Results<Ok<PagedList<OperationResponse>>, ValidationProblem>> ListAsync([AsParameters] PageQuery paging,
        [AsParameters] OperationListQuery filter, CatalogDbContext catalog, CancellationToken cancellationToken)
    {
        if (!paging.TryRead(out var page, out var problem))
        {
            return problem;
        }
        var query = catalog.Operations.AsNoTracking();
        var errors = new Dictionary<string, string[]>();
        if (!string.IsNullOrEmpty(filter.TenantId))
        {
            if (Guid.TryParseExact(filter.TenantId, "D", out var tenantId))
            {
                query = query.Where(o => o.TenantId == tenantId);
            }
            else
            {
                errors["tenantId"] = ["tenantId must be a tenant id (a UUID)."];
            }
        }
        if (!string.IsNullOrEmpty(filter.Kind))
        {
            if (EnumQuery.TryParse<OperationKind>(filter.Kind, out var kind))
            {
                query = query.Where(o => o.Kind == kind);
            }
            else
            {
                errors["kind"] = ["kind must be one of: provision, move, migrate, offboard, import, rotate."];
            }
        }
        if (!string.IsNullOrEmpty(filter.Status))
        {
            if (EnumQuery.TryParse<OperationStatus>(filter.Status, out var status))
            {
                query = query.Where(o => o.Status == status);
            }
            else
            {
                errors["status"] = ["status must be one of: pending, running, succeeded, failed, rolledBack."];
            }
        }
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }
        var total = await query.CountAsync(cancellationToken);
        var items = await query.OrderByDescending(o => o.StartedAt).Skip(page.Skip).Take(page.PageSize).ToListAsync(cancellationToken);
        return TypedResults.Ok(new PagedList<OperationResponse>(items.Select(OperationResponse.From).ToList(), page.Page, page.PageSize, total));
    }

    private static async Task<Results<Accepted<OperationResponse>, ProblemHttpResult>> ResumeAsync([Description(IdDescription)] string id,
        CatalogDbContext catalog, IServiceProvider services, OperationRunner runner, ControlPlaneAudit audit, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var operationId, out var problem))
        {
            return problem;
        }
        var operation = await catalog.Operations.SingleOrDefaultAsync(o => o.Id == operationId, cancellationToken);
        if (operation is null)
        {
            return NotFound(id);
        }
        if (operation.IsActive)
        {
            return Problems.Conflict($"Operation {operation.Id} is {operation.Status.ToString().ToLowerInvariant()} already.");
        }
        if (operation.Status == OperationStatus.Succeeded)
        {
            return Problems.Conflict($"Operation {operation.Id} succeeded; there is nothing to resume.");
        }
        var handler = services.HandlerOf(operation.Kind);
        if (await handler.RefuseResumeAsync(operation, catalog, cancellationToken) is { } reason)
        {
            return Problems.Conflict(reason);
        }

        operation.Status = OperationStatus.Pending;
        operation.FinishedAt = null;
        operation.UpdatedAt = DateTimeOffset.UtcNow;
        await handler.PrepareResumeAsync(operation, catalog, cancellationToken);
        audit.Record($"{operation.Kind.ToString().ToLowerInvariant()}.resume", operation.TenantId, $"operation={operation.Id}");
        try
        {
            await catalog.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException exception) when (TenantOperations.IsActiveOperationConflict(exception))
        {
            catalog.ChangeTracker.Clear();
            return Problems.For(await new TenantOperations(catalog).ConflictAsync(operation.TenantId!.Value, cancellationToken)
                ?? Refusal.Conflict("Another operation started on this tenant at the same moment."));
        }
        runner.Wake();
        return OperationResponse.Accepted(operation);
    }

    private const string IdDescription = "The operation's id (a UUID).";

    private static ProblemHttpResult NotFound(string id) => Problems.NotFound($"There is no operation '{id}'.");
}

/// <summary><c>?tenantId=&amp;kind=&amp;status=</c> of the operation list, still as text, so the handler can say what is wrong with them.</summary>
public sealed class OperationListQuery
{
    [FromQuery(Name = "tenantId"), Description("Only operations on this tenant (its id, a UUID).")]
    public string? TenantId { get; init; }

    [FromQuery(Name = "kind"), Description("Only operations of this kind: provision, move, migrate, offboard, import or rotate.")]
    public string? Kind { get; init; }

    [FromQuery(Name = "status"), Description("Only operations in this status: pending, running, succeeded, failed or rolledBack.")]
    public string? Status { get; init; }
}
