using System.ComponentModel;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using TieredTenancy.Api.Audit;
using TieredTenancy.Api.Tasks;
using TieredTenancy.Api.Tenants;
using TieredTenancy.Tenancy.Data;
using TieredTenancy.Tenancy.Http;

namespace TieredTenancy.Api.Comments;

public static class CommentEndpoints
{
    public static RouteGroupBuilder MapCommentEndpoints(this RouteGroupBuilder tenantPlane)
    {
        tenantPlane.MapGet("/tasks/{id}/comments", ListAsync).WithTags("Comments")
            .WithName("ListTaskComments").WithSummary("List a task's comments")
            .ProducesProblem(StatusCodes.Status404NotFound);
        tenantPlane.MapPost("/tasks/{id}/comments", CreateAsync).WithTags("Comments")
            .WithName("CreateComment").WithSummary("Comment on a task")
            .WithDescription("The comment's author is the calling client.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return tenantPlane;
    }

    private static async Task<Results<Ok<PagedList<CommentResponse>>, ValidationProblem, ProblemHttpResult>> ListAsync(
        [Description(TaskRoute.IdDescription)] string id, [AsParameters] PageQuery query, TenantDataContext data, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var taskId, out var idProblem))
        {
            return idProblem;
        }
        if (!query.TryRead(out var page, out var pageProblem))
        {
            return pageProblem;
        }
        if (!await data.Tasks.AnyAsync(t => t.Id == taskId, cancellationToken))
        {
            return TaskRoute.NotFound(id);
        }
        var comments = data.Comments.AsNoTracking().Where(c => c.TaskId == taskId);
        var total = await comments.CountAsync(cancellationToken);
        var items = await comments.OrderBy(c => c.Id).Skip(page.Skip).Take(page.PageSize)
            .Select(c => new CommentResponse(c.Id, c.TenantId, c.TaskId, c.Author, c.Body, c.CreatedAt)).ToListAsync(cancellationToken);
        return TypedResults.Ok(new PagedList<CommentResponse>(items, page.Page, page.PageSize, total));
    }

    private static async Task<Results<Created<CommentResponse>, ProblemHttpResult>> CreateAsync([Description(TaskRoute.IdDescription)] string id,
        ValidatedBody<CommentRequest> body, TenantDataContext data, RequestTenant tenant, TenantAuditTrail audit, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var taskId, out var problem))
        {
            return problem;
        }
        if (!await data.Tasks.AnyAsync(t => t.Id == taskId, cancellationToken))
        {
            return TaskRoute.NotFound(id);
        }
        var comment = new Comment { TenantId = tenant.Tenant.Id, TaskId = taskId, Author = tenant.Actor, Body = body.Value.Body! };
        data.Comments.Add(comment);
        audit.Record("comment.create", comment.Id);
        await data.SaveChangesAsync(cancellationToken);
        return TypedResults.Created($"/tasks/{taskId}/comments",
            new CommentResponse(comment.Id, comment.TenantId, comment.TaskId, comment.Author, comment.Body, comment.CreatedAt));
    }
}

public sealed record CommentRequest(string? Body) : IValidatedRequest
{
    public Dictionary<string, string[]> Validate() =>
        string.IsNullOrWhiteSpace(Body) || Body.Length > 10_000
            ? new() { ["body"] = ["body must be 1 to 10000 characters, not only spaces."] }
            : [];
}

public sealed record CommentResponse(Guid Id, Guid TenantId, Guid TaskId, string Author, string Body, DateTimeOffset CreatedAt);
