using System.ComponentModel;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using TieredTenancy.Api.Audit;
using TieredTenancy.Api.Idempotency;
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
            .WithDescription("The comment's author is the calling client. With an Idempotency-Key, sent again it answers with the comment it made.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .HonorsIdempotencyKey();
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
        ValidatedBody<CommentRequest> body, TenantDataContext data, RequestTenant tenant, TenantAuditTrail audit, HttpRequest request,
        CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var taskId, out var problem))
        {
            return problem;
        }
        if (!IdempotencyKey.TryRead(request, out var key, out var keyProblem))
        {
            return keyProblem!;
        }
        var comment = new Comment
        {
            Id = key?.EntityId(tenant.Tenant.Id, tenant.Actor, "comment") ?? Guid.CreateVersion7(),
            TenantId = tenant.Tenant.Id,
            TaskId = taskId,
            Author = tenant.Actor,
            Body = body.Value.Body!,
        };
        if (key is not null && await ReplayAsync(data, comment, cancellationToken) is { } replay)
        {
            return replay;
        }
        if (!await data.Tasks.AnyAsync(t => t.Id == taskId, cancellationToken))
        {
            return TaskRoute.NotFound(id);
        }
        data.Comments.Add(comment);
        audit.Record("comment.create", comment.Id);
        if (await IdempotencyKey.SaveOrReplayAsync(data, key, () => ReplayAsync(data, comment, cancellationToken), cancellationToken) is { } made)
        {
            return made;
        }
        return TypedResults.Created($"/tasks/{taskId}/comments", Response(comment));
    }

    /// <summary>What an earlier create with the same Idempotency-Key made, if it did: the same answer, or 422 when the key came with another request.</summary>
    private static async Task<Results<Created<CommentResponse>, ProblemHttpResult>?> ReplayAsync(TenantDataContext data, Comment wanted,
        CancellationToken cancellationToken)
    {
        var made = await data.Comments.AsNoTracking().SingleOrDefaultAsync(c => c.Id == wanted.Id, cancellationToken);
        return made is null ? null
            : made.TaskId == wanted.TaskId && made.Body == wanted.Body
                ? TypedResults.Created($"/tasks/{made.TaskId}/comments", Response(made))
                : IdempotencyKey.Reused();
    }

    private static CommentResponse Response(Comment comment) =>
        new(comment.Id, comment.TenantId, comment.TaskId, comment.Author, comment.Body, comment.CreatedAt);
}

public sealed record CommentRequest(string? Body) : IValidatedRequest
{
    public Dictionary<string, string[]> Validate() =>
        string.IsNullOrWhiteSpace(Body) || Body.Length > 10_000
            ? new() { ["body"] = ["body must be 1 to 10000 characters, not only spaces."] }
            : [];
}

public sealed record CommentResponse(Guid Id, Guid TenantId, Guid TaskId, string Author, string Body, DateTimeOffset CreatedAt);
