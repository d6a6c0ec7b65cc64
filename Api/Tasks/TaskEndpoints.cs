using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using TieredTenancy.Api.Audit;
using TieredTenancy.Api.Idempotency;
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
            .WithName("ListProjectTasks").WithSummary("List a project's tasks, optionally only those with a label or a priority")
            .WithDescription(NotYetDescription)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        tenantPlane.MapPost("/projects/{id}/tasks", CreateAsync).WithTags("Tasks")
            .WithName("CreateTask").WithSummary("Create a task in a project")
            .WithDescription(NotYetDescription + " With an Idempotency-Key, sent again it answers with the task it made.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .HonorsIdempotencyKey();
        var tasks = tenantPlane.MapGroup("/tasks").WithTags("Tasks");
        tasks.MapGet("/{id}", GetAsync)
            .WithName("GetTask").WithSummary("Get a task")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        tasks.MapPut("/{id}", UpdateAsync)
            .WithName("UpdateTask").WithSummary("Change a task (priority and labels stay as they are when left out)")
            .WithDescription(NotYetDescription)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        tasks.MapDelete("/{id}", DeleteAsync)
            .WithName("DeleteTask").WithSummary("Delete a task with its comments")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        return tenantPlane;
    }

    private static async Task<Results<Ok<PagedList<TaskResponse>>, ValidationProblem, ProblemHttpResult>> ListAsync(
        [Description(ProjectRoute.IdDescription)] string id, [AsParameters] PageQuery query, [AsParameters] TaskFilterQuery filterQuery,
        TenantDataContext data, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var projectId, out var idProblem))
        {
            return idProblem;
        }
        if (!query.TryRead(out var page, out var pageProblem))
        {
            return pageProblem;
        }
        if (!filterQuery.TryRead(out var filter, out var filterProblem))
        {
            return filterProblem;
        }
        if (!filter.IsEmpty && !data.Shape.TaskPriorities)
        {
            return NotYet();
        }
        var tasks = await TaskListing.PageAsync(data, projectId, page, filter, cancellationToken);
        return tasks is null ? ProjectRoute.NotFound(id) : TypedResults.Ok(tasks);
    }

    private static async Task<Results<Created<TaskResponse>, ProblemHttpResult>> CreateAsync([Description(ProjectRoute.IdDescription)] string id,
        ValidatedBody<TaskRequest> body, TenantDataContext data, RequestTenant tenant, HttpRequest request, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var projectId, out var problem))
        {
            return problem;
        }
        if (!IdempotencyKey.TryRead(request, out var key, out var keyProblem))
        {
            return keyProblem!;
        }
        if (body.Value.UsesPriorities && !data.Shape.TaskPriorities)
        {
            return NotYet();
        }
        var taskId = key?.EntityId(tenant.Tenant.Id, tenant.Actor, "task");
        if (taskId is { } chosen && await ReplayAsync(data, chosen, projectId, body.Value, cancellationToken) is { } replay)
        {
            return replay;
        }
        try
        {
            var task = await TaskCreation.CreateAsync(data, tenant.Tenant.Id, tenant.Actor, projectId, body.Value, cancellationToken, id: taskId);
            return task is null ? ProjectRoute.NotFound(id) : TypedResults.Created($"/tasks/{task.Id}", TaskResponse.From(task, data.Shape));
        }
        catch (DbUpdateException exception) when (taskId is not null && IdempotencyKey.IsReplay(exception))
        {
            // The same key's create committed meanwhile (sent twice at once, or cut after its commit and run again).
            data.ChangeTracker.Clear();
            if (await ReplayAsync(data, taskId.Value, projectId, body.Value, cancellationToken) is { } made)
            {
                return made;
            }
            throw;
        }
    }

    /// <summary>What an earlier create with the same Idempotency-Key made, if it did: the same answer, or 422 when the key came with another request.</summary>
    private static async Task<Results<Created<TaskResponse>, ProblemHttpResult>?> ReplayAsync(TenantDataContext data, Guid taskId, Guid projectId,
        TaskRequest request, CancellationToken cancellationToken)
    {
        var made = await data.Tasks.AsNoTracking().SingleOrDefaultAsync(t => t.Id == taskId, cancellationToken);
        if (made is null)
        {
            return null;
        }
        // What this request would have made, field by field, against what the key's first request made.
        var wanted = new TaskItem { Id = taskId, TenantId = made.TenantId, ProjectId = projectId, Title = "" };
        request.ApplyTo(wanted);
        var same = made.ProjectId == wanted.ProjectId && made.Title == wanted.Title && made.Status == wanted.Status && made.Assignee == wanted.Assignee
            && made.DueOn == wanted.DueOn && made.Priority == wanted.Priority && made.Labels.SequenceEqual(wanted.Labels);
        return same ? TypedResults.Created($"/tasks/{made.Id}", TaskResponse.From(made, data.Shape)) : IdempotencyKey.Reused();
    }

    private static async Task<Results<Ok<TaskResponse>, ProblemHttpResult>> GetAsync([Description(TaskRoute.IdDescription)] string id, TenantDataContext data,
        CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var taskId, out var problem))
        {
            return problem;
        }
        var task = await data.Tasks.AsNoTracking().SingleOrDefaultAsync(t => t.Id == taskId, cancellationToken);
        return task is null ? TaskRoute.NotFound(id) : TypedResults.Ok(TaskResponse.From(task, data.Shape));
    }

    private static async Task<Results<Ok<TaskResponse>, ProblemHttpResult>> UpdateAsync([Description(TaskRoute.IdDescription)] string id,
        ValidatedBody<TaskRequest> body, TenantDataContext data, TenantAuditTrail audit, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var taskId, out var problem))
        {
            return problem;
        }
        if (body.Value.UsesPriorities && !data.Shape.TaskPriorities)
        {
            return NotYet();
        }
        var task = await data.Tasks.SingleOrDefaultAsync(t => t.Id == taskId, cancellationToken);
        if (task is null)
        {
            return TaskRoute.NotFound(id);
        }
        body.Value.ApplyTo(task);
        task.UpdatedAt = DateTimeOffset.UtcNow;
        audit.Record("task.update", task.Id);
        await data.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(TaskResponse.From(task, data.Shape));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync([Description(TaskRoute.IdDescription)] string id, TenantDataContext data,
        TenantAuditTrail audit, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var taskId, out var problem))
        {
            return problem;
        }
        var task = await data.Tasks.SingleOrDefaultAsync(t => t.Id == taskId, cancellationToken);
        if (task is null)
        {
            return TaskRoute.NotFound(id);
        }
        data.Tasks.Remove(task);
        audit.Record("task.delete", task.Id);
        await data.SaveChangesAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    private const string NotYetDescription =
        "Priorities and labels exist once the tenant's storage is migrated to them; until then asking for them answers 409 and tasks show without them.";

    /// <summary>A tenant whose storage a fleet migration has not reached yet has no priorities or labels to ask for.</summary>
    private static ProblemHttpResult NotYet() =>
        Problems.Conflict("Task priorities and labels are not available for this tenant yet: its storage is being migrated to them. Try again shortly.");
}

public sealed record TaskRequest(
    string? Title,
    TaskItemStatus? Status,
    string? Assignee,
    DateOnly? DueOn,
    [property: Description("low, normal (the default) or high.")] TaskPriority? Priority = null,
    [property: Description("Up to 20 labels of 1 to 40 characters each.")] IReadOnlyList<string>? Labels = null) : IValidatedRequest
{
    public const int MaxLabels = 20;
    public const int MaxLabelLength = 40;

    /// <summary>Asks for a priority or labels, which only storage at the newer shape has.</summary>
    public bool UsesPriorities => Priority is not null || Labels is not null;

    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>();
        TextField.Check(errors, "title", Title, 500);
        TextField.Check(errors, "assignee", Assignee, 200, required: false);
        if (Status is { } status && !Enum.IsDefined(status))
        {
            errors["status"] = ["status must be todo, doing or done."];
        }
        if (Priority is { } priority && !Enum.IsDefined(priority))
        {
            errors["priority"] = ["priority must be low, normal or high."];
        }
        if (Labels is { } labels && (labels.Count > MaxLabels || labels.Any(label => !TaskLabels.IsValid(label))))
        {
            errors["labels"] = [$"labels must be at most {MaxLabels}, each 1 to {MaxLabelLength} characters without control characters."];
        }
        return errors;
    }

    /// <summary>Title, status, assignee and due date as given; priority and labels only when given (a client that does not know them keeps them).</summary>
    public void ApplyTo(TaskItem task)
    {
        task.Title = Title!.Trim();
        task.Status = Status ?? TaskItemStatus.Todo;
        task.Assignee = Assignee;
        task.DueOn = DueOn;
        task.Priority = Priority ?? task.Priority;
        task.Labels = Labels is null ? task.Labels : Labels.Select(label => label.Trim()).Distinct().ToList();
    }
}

/// <summary>A task; <c>priority</c> and <c>labels</c> appear once the tenant's storage has them.</summary>
public sealed record TaskResponse(Guid Id, Guid TenantId, Guid ProjectId, string Title, TaskItemStatus Status, string? Assignee, DateOnly? DueOn,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] TaskPriority? Priority,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Labels)
{
    public static TaskResponse From(TaskItem task, TenantDataShape shape) =>
        new(task.Id, task.TenantId, task.ProjectId, task.Title, task.Status, task.Assignee, task.DueOn, task.CreatedAt, task.UpdatedAt,
            shape.TaskPriorities ? task.Priority : null, shape.TaskPriorities ? task.Labels : null);
}

public static class TaskLabels
{
    public static bool IsValid(string? label) =>
        label is not null && label.Trim().Length is >= 1 and <= TaskRequest.MaxLabelLength && !label.Any(char.IsControl);
}

/// <summary><c>?label=…&amp;priority=…</c> as a handler takes them, still as text, so that <see cref="TryRead"/> can say what is wrong.</summary>
public sealed class TaskFilterQuery
{
    [FromQuery(Name = "label"), Description("Only tasks with this label.")]
    public string? Label { get; init; }

    [FromQuery(Name = "priority"), Description("Only tasks of this priority: low, normal or high.")]
    public string? Priority { get; init; }

    public bool TryRead(out TaskFilter filter, [NotNullWhen(false)] out ValidationProblem? problem)
    {
        filter = TaskFilter.None;
        problem = null;
        var errors = new Dictionary<string, string[]>();
        if (Label is not null && !TaskLabels.IsValid(Label))
        {
            errors["label"] = [$"label must be 1 to {TaskRequest.MaxLabelLength} characters without control characters."];
        }
        TaskPriority? priority = null;
        if (Priority is not null)
        {
            if (EnumQuery.TryParse<TaskPriority>(Priority, out var parsed))
            {
                priority = parsed;
            }
            else
            {
                errors["priority"] = ["priority must be low, normal or high."];
            }
        }
        if (errors.Count > 0)
        {
            problem = Problems.Validation(errors);
            return false;
        }
        filter = new TaskFilter(Label?.Trim(), priority);
        return true;
    }
}

/// <summary>Which of a project's tasks to list.</summary>
public sealed record TaskFilter(string? Label, TaskPriority? Priority)
{
    public static TaskFilter None { get; } = new(null, null);

    public bool IsEmpty => Label is null && Priority is null;
}
