using Microsoft.EntityFrameworkCore;
using TieredTenancy.Api.Audit;
using TieredTenancy.Api.Tenants;
using TieredTenancy.Tenancy.Data;
using TieredTenancy.Tenancy.Http;

namespace TieredTenancy.Api.Projects;

public static class ProjectEndpoints
{
    public static RouteGroupBuilder MapProjectEndpoints(this RouteGroupBuilder tenantPlane)
    {
        var projects = tenantPlane.MapGroup("/projects").WithTags("Projects");
        projects.MapGet("/", ListAsync);
        projects.MapPost("/", CreateAsync);
        projects.MapGet("/{id}", GetAsync);
        projects.MapPut("/{id}", UpdateAsync);
        projects.MapDelete("/{id}", DeleteAsync);
        return tenantPlane;
    }

    private static async Task<IResult> ListAsync(HttpRequest request, TenantDataContext data, CancellationToken cancellationToken)
    {
        if (!PageRequest.TryParse(request, out var page, out var problem))
        {
            return problem!;
        }
        var total = await data.Projects.CountAsync(cancellationToken);
        var items = await data.Projects.AsNoTracking().OrderBy(p => p.Id).Skip(page.Skip).Take(page.PageSize)
            .Select(p => ProjectResponse.From(p)).ToListAsync(cancellationToken);
        return Results.Ok(new PagedList<ProjectResponse>(items, page.Page, page.PageSize, total));
    }

    private static async Task<IResult> CreateAsync(HttpRequest request, TenantDataContext data, TenantContext tenant, TenantAudit audit,
        CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadValidAsync<ProjectRequest>(request);
        if (problem is not null)
        {
            return problem;
        }
        if (await data.Projects.CountAsync(cancellationToken) >= tenant.Tenant.Limits.MaxProjects)
        {
            return Problems.Conflict($"The {tenant.Tenant.Plan} plan allows {tenant.Tenant.Limits.MaxProjects} projects; this tenant has reached that limit.");
        }
        var project = new Project { TenantId = tenant.Tenant.Id, Name = body!.Name!.Trim(), Description = body.Description };
        data.Projects.Add(project);
        audit.Record("project.create", project.Id);
        await data.SaveChangesAsync(cancellationToken);
        return Results.Created($"/projects/{project.Id}", ProjectResponse.From(project));
    }

    private static async Task<IResult> GetAsync(string id, TenantDataContext data, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var projectId, out var problem))
        {
            return problem!;
        }
        var project = await data.Projects.AsNoTracking().SingleOrDefaultAsync(p => p.Id == projectId, cancellationToken);
        return project is null ? NotFound(id) : Results.Ok(ProjectResponse.From(project));
    }

    private static async Task<IResult> UpdateAsync(string id, HttpRequest request, TenantDataContext data, TenantAudit audit, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var projectId, out var problem))
        {
            return problem!;
        }
        var (body, bodyProblem) = await JsonBody.ReadValidAsync<ProjectRequest>(request);
        if (bodyProblem is not null)
        {
            return bodyProblem;
        }
        var project = await data.Projects.SingleOrDefaultAsync(p => p.Id == projectId, cancellationToken);
        if (project is null)
        {
            return NotFound(id);
        }
        project.Name = body!.Name!.Trim();
        project.Description = body.Description;
        project.UpdatedAt = DateTimeOffset.UtcNow;
        audit.Record("project.update", project.Id);
        await data.SaveChangesAsync(cancellationToken);
        return Results.Ok(ProjectResponse.From(project));
    }

    private static async Task<IResult> DeleteAsync(string id, TenantDataContext data, TenantAudit audit, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var projectId, out var problem))
        {
            return problem!;
        }
        var project = await data.Projects.SingleOrDefaultAsync(p => p.Id == projectId, cancellationToken);
        if (project is null)
        {
            return NotFound(id);
        }
        data.Projects.Remove(project);
        audit.Record("project.delete", project.Id);
        await data.SaveChangesAsync(cancellationToken);
        return Results.NoContent();
    }

    // Another tenant's project answers exactly like one that does not exist.
    internal static IResult NotFound(string id) => Problems.NotFound($"There is no project '{id}'.");
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
