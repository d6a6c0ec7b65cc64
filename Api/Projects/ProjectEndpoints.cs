using System.ComponentModel;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using TieredTenancy.Api.Audit;
using TieredTenancy.Api.Idempotency;
using TieredTenancy.Api.Tenants;
using TieredTenancy.Tenancy.Data;
using TieredTenancy.Tenancy.Http;

namespace TieredTenancy.Api.Projects;

public static class ProjectEndpoints
{
    public static RouteGroupBuilder MapProjectEndpoints(this RouteGroupBuilder tenantPlane)
    {
        var projects = tenantPlane.MapGroup("/projects").WithTags("Projects");
        projects.MapGet("/", ListAsync)
            .WithName("ListProjects").WithSummary("List the tenant's projects");
        projects.MapPost("/", CreateAsync)
            .WithName("CreateProject").WithSummary("Create a project")
            .WithDescription("409 when the tenant's plan allows no more projects. With an Idempotency-Key, sent again it answers with the project it made.")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .HonorsIdempotencyKey();
        projects.MapGet("/{id}", GetAsync)
            .WithName("GetProject").WithSummary("Get a project")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        projects.MapPut("/{id}", UpdateAsync)
            .WithName("UpdateProject").WithSummary("Rename or describe a project")
            .ProducesProblem(StatusCodes.Status404NotFound);
        projects.MapDelete("/{id}", DeleteAsync)
            .WithName("DeleteProject").WithSummary("Delete a project with its tasks and their comments (the tenant's admin clients)")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .RequireTenantAdmin();
        return tenantPlane;
    }

    private static async Task<Results<Ok<PagedList<ProjectResponse>>, ValidationProblem>> ListAsync([AsParameters] PageQuery query, TenantDataContext data,
        CancellationToken cancellationToken)
    {
        if (!query.TryRead(out var page, out var problem))
        {
            return problem;
        }
        var total = await data.Projects.CountAsync(cancellationToken);
        var items = await data.Projects.AsNoTracking().OrderBy(p => p.Id).Skip(page.Skip).Take(page.PageSize)
            .Select(p => ProjectResponse.From(p)).ToListAsync(cancellationToken);
        return TypedResults.Ok(new PagedList<ProjectResponse>(items, page.Page, page.PageSize, total));
    }

    private static async Task<Results<Created<ProjectResponse>, ProblemHttpResult>> CreateAsync(ValidatedBody<ProjectRequest> body, TenantDataContext data,
        RequestTenant tenant, TenantAuditTrail audit, HttpRequest request, CancellationToken cancellationToken)
    {
        if (!IdempotencyKey.TryRead(request, out var key, out var keyProblem))
        {
            return keyProblem!;
        }
        var project = new Project
        {
            Id = key?.EntityId(tenant.Tenant.Id, tenant.Actor, "project") ?? Guid.CreateVersion7(),
            TenantId = tenant.Tenant.Id,
            Name = body.Value.Name!.Trim(),
            Description = body.Value.Description,
        };
        if (key is not null && await ReplayAsync(data, project, cancellationToken) is { } replay)
        {
            return replay;
        }
        if (await data.Projects.CountAsync(cancellationToken) >= tenant.Tenant.Limits.MaxProjects)
        {
            return Problems.Conflict($"The {tenant.Tenant.Plan} plan allows {tenant.Tenant.Limits.MaxProjects} projects; this tenant has reached that limit.");
        }
        data.Projects.Add(project);
        audit.Record("project.create", project.Id);
        if (await IdempotencyKey.SaveOrReplayAsync(data, key, () => ReplayAsync(data, project, cancellationToken), cancellationToken) is { } made)
        {
            return made;
        }
        return TypedResults.Created($"/projects/{project.Id}", ProjectResponse.From(project));
    }

    /// <summary>What an earlier create with the same Idempotency-Key made, if it did: the same answer, or 422 when the key came with another request.</summary>
    private static async Task<Results<Created<ProjectResponse>, ProblemHttpResult>?> ReplayAsync(TenantDataContext data, Project wanted,
        CancellationToken cancellationToken)
    {
        var made = await data.Projects.AsNoTracking().SingleOrDefaultAsync(p => p.Id == wanted.Id, cancellationToken);
        return made is null ? null
            : made.Name == wanted.Name && made.Description == wanted.Description
                ? TypedResults.Created($"/projects/{made.Id}", ProjectResponse.From(made))
                : IdempotencyKey.Reused();
    }

    private static async Task<Results<Ok<ProjectResponse>, ProblemHttpResult>> GetAsync([Description(ProjectRoute.IdDescription)] string id, TenantDataContext data,
        CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var projectId, out var problem))
        {
            return problem;
        }
        var project = await data.Projects.AsNoTracking().SingleOrDefaultAsync(p => p.Id == projectId, cancellationToken);
        return project is null ? ProjectRoute.NotFound(id) : TypedResults.Ok(ProjectResponse.From(project));
    }

    private static async Task<Results<Ok<ProjectResponse>, ProblemHttpResult>> UpdateAsync([Description(ProjectRoute.IdDescription)] string id,
        ValidatedBody<ProjectRequest> body, TenantDataContext data, TenantAuditTrail audit, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var projectId, out var problem))
        {
            return problem;
        }
        var project = await data.Projects.SingleOrDefaultAsync(p => p.Id == projectId, cancellationToken);
        if (project is null)
        {
            return ProjectRoute.NotFound(id);
        }
        project.Name = body.Value.Name!.Trim();
        project.Description = body.Value.Description;
        project.UpdatedAt = DateTimeOffset.UtcNow;
        audit.Record("project.update", project.Id);
        await data.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(ProjectResponse.From(project));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync([Description(ProjectRoute.IdDescription)] string id, TenantDataContext data,
        TenantAuditTrail audit, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var projectId, out var problem))
        {
            return problem;
        }
        var project = await data.Projects.SingleOrDefaultAsync(p => p.Id == projectId, cancellationToken);
        if (project is null)
        {
            return ProjectRoute.NotFound(id);
        }
        data.Projects.Remove(project);
        audit.Record("project.delete", project.Id);
        await data.SaveChangesAsync(cancellationToken);
        return TypedResults.NoContent();
    }
}

public sealed record ProjectRequest(string? Name, string? Description) : IValidatedRequest
{
    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>();
        TextField.Check(errors, "name", Name, 200);
        if (Description is { Length: > 4000 })
        {
            errors["description"] = ["description must be at most 4000 characters."];
        }
        return errors;
    }
}

public sealed record ProjectResponse(Guid Id, Guid TenantId, string Name, string? Description, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static ProjectResponse From(Project project) =>
        new(project.Id, project.TenantId, project.Name, project.Description, project.CreatedAt, project.UpdatedAt);
}
