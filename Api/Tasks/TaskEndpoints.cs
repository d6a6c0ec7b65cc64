using System.ComponentModel;
using Microsoft.AspNetCore.Http.HttpResults;
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
        tenantPlane.MapGet("/projects/{id}/tasks", ListAsync).WithTags("Tasks")
            .WithName("ListProjectTasks").WithSummary("List a project's tasks")
            .ProducesProblem(StatusCodes.Status404NotFound);
        tenantPlane.MapPost("/projects/{id}/tasks", CreateAsync).WithTags("Tasks")
            .WithName("CreateTask").WithSummary("Create a task in a project")
            .ProducesProblem(StatusCodes.Status404NotFound);
        var tasks = tenantPlane.MapGroup("/tasks").WithTags("Tasks");
        tasks.MapGet("/{id}", GetAsync)
            .WithName("GetTask").WithSummary("Get a task")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        tasks.MapPut("/{id}", UpdateAsync)
            .WithName("UpdateTask").WithSummary("Change a task")
            .ProducesProblem(StatusCodes.Status404NotFound);
        tasks.MapDelete("/{id}", DeleteAsync)
            .WithName("DeleteTask").WithSummary("Delete a task with its comments")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        return tenantPlane;
    }

    private static async Task<Results<Ok<PagedList<TaskResponse>>, ValidationProblem, ProblemHttpResult>> ListAsync(
        [Description(ProjectEndpoints.IdDescription)] string id, [AsParameters] PageQuery query, TenantDataContext data, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var projectId, out var idProblem))
        {
            return idProblem;
        }
        if (!query.TryRead(out var page, out var pageProblem))
        {
            return pageProblem;
        }
        var tasks = await TaskListing.PageAsync(data, projectId, page, cancellationToken);
        return tasks is null ? ProjectEndpoints.NotFound(id) : TypedResults.Ok(tasks);
    }

    private static async Task<Results<Created<TaskResponse>, ProblemHttpResult>> CreateAsync([Description(ProjectEndpoints.IdDescription)] string id,
        ValidatedBody<TaskRequest> body, TenantDataContext data, RequestTenant tenant, TenantAuditTrail audit, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var projectId, out var problem))
        {
            return problem;
        }
        // Another tenant's project is invisible here; the composite foreign key refuses it in the database too.
        if (!await data.Projects.AnyAsync(p => p.Id == projectId, cancellationToken))
        {
            return ProjectEndpoints.NotFound(id);
        }
        var task = new TaskItem { TenantId = tenant.Tenant.Id, ProjectId = projectId, Title = "" };
        body.Value.ApplyTo(task);
        data.Tasks.Add(task);
        audit.Record("task.create", task.Id);
        await data.SaveChangesAsync(cancellationToken);
        return TypedResults.Created($"/tasks/{task.Id}", TaskResponse.From(task));
    }

    private static async Task<Results<Ok<TaskResponse>, ProblemHttpResult>> GetAsync([Description(IdDescription)] string id, TenantDataContext data,
        CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var taskId, out var problem))
        {
            return problem;
        }
        var task = await data.Tasks.AsNoTracking().SingleOrDefaultAsync(t => t.Id == taskId, cancellationToken);
        return task is null ? NotFound(id) : TypedResults.Ok(TaskResponse.From(task));
    }

    private static async Task<Results<Ok<TaskResponse>, ProblemHttpResult>> UpdateAsync([Description(IdDescription)] string id,
        ValidatedBody<TaskRequest> body, TenantDataContext data, TenantAuditTrail audit, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var taskId, out var problem))
        {
            return problem;
        }
        var task = await data.Tasks.SingleOrDefaultAsync(t => t.Id == taskId, cancellationToken);
        if (task is null)
        {
            return NotFound(id);
        }
        body.Value.ApplyTo(task);
        task.UpdatedAt = DateTimeOffset.UtcNow;
        audit.Record("task.update", task.Id);
        await data.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(TaskResponse.From(task));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync([Description(IdDescription)] string id, TenantDataContext data,
        TenantAuditTrail audit, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var taskId, out var problem))
        {
            return problem;
        }
        var task = await data.Tasks.SingleOrDefaultAsync(t => t.Id == taskId, cancellationToken);
        if (task is null)
        {
            return NotFound(id);
        }
        data.Tasks.Remove(task);
        audit.Record("task.delete", task.Id);
        await data.SaveChangesAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    internal const string IdDescription = "The task's id (a UUID).";

    internal static ProblemHttpResult NotFound(string id) => Problems.NotFound($"There is no task '{id}'.");
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
