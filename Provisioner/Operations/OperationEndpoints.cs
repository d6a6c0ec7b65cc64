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
        operations.MapGet("/", ListAsync).WithName("ListOperations").WithSummary("Lists operations, newest first.")
            .Produces<PagedList<OperationResponse>>();
        operations.MapGet("/{id}", GetAsync).WithName("GetOperation").WithSummary("One long operation: phase, progress, report.")
            .Produces<OperationResponse>();
        operations.MapPost("/{id}/resume", ResumeAsync).WithName("ResumeOperation")
            .WithSummary("Runs a failed or rolled-back operation again.").Produces<OperationResponse>(StatusCodes.Status202Accepted);
        return admin;
    }

    private static async Task<IResult> GetAsync(string id, CatalogDbContext catalog, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var operationId, out var problem))
        {
            return problem!;
        }
        var operation = await catalog.Operations.AsNoTracking().SingleOrDefaultAsync(o => o.Id == operationId, cancellationToken);
        return operation is null ? NotFound(id) : Results.Ok(OperationResponse.From(operation));
    }

    private static async Task<IResult> ListAsync(HttpRequest request, CatalogDbContext catalog, CancellationToken cancellationToken)
    {
        if (!PageRequest.TryParse(request, out var page, out var problem))
        {
            return problem!;
        }
        var query = catalog.Operations.AsNoTracking();
        var errors = new Dictionary<string, string[]>();
        if (request.Query["tenantId"] is { Count: > 0 } tenant && !string.IsNullOrEmpty(tenant[0]))
        {
            if (Guid.TryParseExact(tenant[0], "D", out var tenantId))
            {
                query = query.Where(o => o.TenantId == tenantId);
            }
            else
            {
                errors["tenantId"] = ["tenantId must be a tenant id (a UUID)."];
            }
        }
        if (request.Query["kind"] is { Count: > 0 } kind && !string.IsNullOrEmpty(kind[0]))
        {
            if (TryParseName<OperationKind>(kind[0], out var value))
            {
                query = query.Where(o => o.Kind == value);
            }
            else
            {
                errors["kind"] = ["kind must be one of: provision, move, migrate, offboard, import."];
            }
        }
        if (request.Query["status"] is { Count: > 0 } status && !string.IsNullOrEmpty(status[0]))
        {
            if (TryParseName<OperationStatus>(status[0], out var value))
            {
                query = query.Where(o => o.Status == value);
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
        return Results.Ok(new PagedList<OperationResponse>(items.Select(OperationResponse.From).ToList(), page.Page, page.PageSize, total));
    }

    private static async Task<IResult> ResumeAsync(string id, CatalogDbContext catalog, IEnumerable<IOperationHandler> handlers, OperationRunner runner,
        AuditLog audit, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var operationId, out var problem))
        {
            return problem!;
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
        var handler = handlers.Single(h => h.Kind == operation.Kind);
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
            return await new TenantOperations(catalog).ConflictAsync(operation.TenantId!.Value, cancellationToken)
                ?? Problems.Conflict("Another operation started on this tenant at the same moment.");
        }
        runner.Wake();
        return Results.Accepted(OperationResponse.Location(operation.Id), OperationResponse.From(operation));
    }

    private static IResult NotFound(string id) => Problems.NotFound($"There is no operation '{id}'.");

    private static bool TryParseName<T>(string? value, out T parsed) where T : struct, Enum =>
        Enum.TryParse(value, ignoreCase: true, out parsed) && !int.TryParse(value, out _);
}
