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
        tenantPlane.MapGet("/tasks/{id}/comments", ListAsync).WithTags("Comments");
        tenantPlane.MapPost("/tasks/{id}/comments", CreateAsync).WithTags("Comments");
        return tenantPlane;
    }

    private static async Task<IResult> ListAsync(string id, HttpRequest request, TenantDataContext data, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var taskId, out var problem) || !PageRequest.TryParse(request, out var page, out problem))
        {
            return problem!;
        }
        if (!await data.Tasks.AnyAsync(t => t.Id == taskId, cancellationToken))
        {
            return TaskEndpoints.NotFound(id);
        }
        var comments = data.Comments.AsNoTracking().Where(c => c.TaskId == taskId);
        var total = await comments.CountAsync(cancellationToken);
        var items = await comments.OrderBy(c => c.Id).Skip(page.Skip).Take(page.PageSize)
            .Select(c => new CommentResponse(c.Id, c.TenantId, c.TaskId, c.Author, c.Body, c.CreatedAt)).ToListAsync(cancellationToken);
        return Results.Ok(new PagedList<CommentResponse>(items, page.Page, page.PageSize, total));
    }

    private static async Task<IResult> CreateAsync(string id, HttpRequest request, TenantDataContext data, TenantContext tenant, TenantAudit audit,
        CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var taskId, out var problem))
        {
            return problem!;
        }
        var (body, bodyProblem) = await JsonBody.ReadAsync<CommentRequest>(request);
        if (bodyProblem is not null)
        {
            return bodyProblem;
        }
        if (string.IsNullOrWhiteSpace(body!.Body) || body.Body.Length > 10_000)
        {
            return Problems.Validation(new Dictionary<string, string[]> { ["body"] = ["body must be 1 to 10000 characters, not only spaces."] });
        }
        if (!await data.Tasks.AnyAsync(t => t.Id == taskId, cancellationToken))
        {
            return TaskEndpoints.NotFound(id);
        }
        var comment = new Comment { TenantId = tenant.Tenant.Id, TaskId = taskId, Author = tenant.Actor, Body = body.Body };
        data.Comments.Add(comment);
        audit.Record("comment.create", comment.Id);
        await data.SaveChangesAsync(cancellationToken);
        return Results.Created($"/tasks/{taskId}/comments", new CommentResponse(comment.Id, comment.TenantId, comment.TaskId, comment.Author, comment.Body, comment.CreatedAt));
    }
}

public sealed record CommentRequest(string? Body);

public sealed record CommentResponse(Guid Id, Guid TenantId, Guid TaskId, string Author, string Body, DateTimeOffset CreatedAt);
