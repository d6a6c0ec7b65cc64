using Microsoft.EntityFrameworkCore;
using TieredTenancy.Api.Audit;
using TieredTenancy.Api.Projects;
using TieredTenancy.Api.Tenants;
using TieredTenancy.Tenancy.Data;
using TieredTenancy.Tenancy.Http;

namespace TieredTenancy.Api.Tasks;

public static class TaskEndpoints
{
    public static RouteGroupBuilder MapTaskEndpoints(this RouteGroupBuilder tenantPlane)
    {
        tenantPlane.MapGet("/projects/{id}/tasks", ListAsync).WithTags("Tasks");
        tenantPlane.MapPost("/projects/{id}/tasks", CreateAsync).WithTags("Tasks");
        var tasks = tenantPlane.MapGroup("/tasks").WithTags("Tasks");
        tasks.MapGet("/{id}", GetAsync);
        tasks.MapPut("/{id}", UpdateAsync);
        tasks.MapDelete("/{id}", DeleteAsync);
        return tenantPlane;
    }

    private static async Task<IResult> ListAsync(string id, HttpRequest request, TenantDataContext data, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var projectId, out var problem) || !PageRequest.TryParse(request, out var page, out problem))
        {
            return problem!;
        }
        var tasks = await TaskListing.PageAsync(data, projectId, page, cancellationToken);
        return tasks is null ? ProjectEndpoints.NotFound(id) : Results.Ok(tasks);
    }

    private static async Task<IResult> CreateAsync(string id, HttpRequest request, TenantDataContext data, TenantContext tenant, TenantAudit audit,
        CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var projectId, out var problem))
        {
            return problem!;
        }
        var (body, bodyProblem) = await JsonBody.ReadValidAsync<TaskRequest>(request);
        if (bodyProblem is not null)
        {
            return bodyProblem;
        }
        // Another tenant's project is invisible here; the composite foreign key refuses it in the database too.
        if (!await data.Projects.AnyAsync(p => p.Id == projectId, cancellationToken))
        {
            return ProjectEndpoints.NotFound(id);
        }
        var task = new TaskItem { TenantId = tenant.Tenant.Id, ProjectId = projectId, Title = "" };
        body!.ApplyTo(task);
        data.Tasks.Add(task);
        audit.Record("task.create", task.Id);
        await data.SaveChangesAsync(cancellationToken);
        return Results.Created($"/tasks/{task.Id}", TaskResponse.From(task));
    }

    private static async Task<IResult> GetAsync(string id, TenantDataContext data, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var taskId, out var problem))
        {
            return problem!;
        }
        var task = await data.Tasks.AsNoTracking().SingleOrDefaultAsync(t => t.Id == taskId, cancellationToken);
        return task is null ? NotFound(id) : Results.Ok(TaskResponse.From(task));
    }

    private static async Task<IResult> UpdateAsync(string id, HttpRequest request, TenantDataContext data, TenantAudit audit, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var taskId, out var problem))
        {
            return problem!;
        }
        var (body, bodyProblem) = await JsonBody.ReadValidAsync<TaskRequest>(request);
        if (bodyProblem is not null)
        {
            return bodyProblem;
        }
        var task = await data.Tasks.SingleOrDefaultAsync(t => t.Id == taskId, cancellationToken);
        if (task is null)
        {
            return NotFound(id);
        }
        body!.ApplyTo(task);
        task.UpdatedAt = DateTimeOffset.UtcNow;
        audit.Record("task.update", task.Id);
        await data.SaveChangesAsync(cancellationToken);
        return Results.Ok(TaskResponse.From(task));
    }

    private static async Task<IResult> DeleteAsync(string id, TenantDataContext data, TenantAudit audit, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var taskId, out var problem))
        {
            return problem!;
        }
        var task = await data.Tasks.SingleOrDefaultAsync(t => t.Id == taskId, cancellationToken);
        if (task is null)
        {
            return NotFound(id);
        }
        data.Tasks.Remove(task);
        audit.Record("task.delete", task.Id);
        await data.SaveChangesAsync(cancellationToken);
        return Results.NoContent();
    }

    internal static IResult NotFound(string id) => Problems.NotFound($"There is no task '{id}'.");
}

public sealed record TaskRequest(string? Title, TaskItemStatus? Status, string? Assignee, DateOnly? DueOn) : IValidatedRequest
{
    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>();
        TextField.Check(errors, "title", Title, 500);
        TextField.Check(errors, "assignee", Assignee, 200, required: false);
        if (Status is { } status && !Enum.IsDefined(status))
        {
            errors["status"] = ["status must be todo, doing or done."];
        }
        return errors;
    }

    public void ApplyTo(TaskItem task)
    {
        task.Title = Title!.Trim();
        task.Status = Status ?? TaskItemStatus.Todo;
        task.Assignee = Assignee;
        task.DueOn = DueOn;
    }
}

public sealed record TaskResponse(Guid Id, Guid TenantId, Guid ProjectId, string Title, TaskItemStatus Status, string? Assignee, DateOnly? DueOn,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static TaskResponse From(TaskItem task) =>
        new(task.Id, task.TenantId, task.ProjectId, task.Title, task.Status, task.Assignee, task.DueOn, task.CreatedAt, task.UpdatedAt);
}
