using Microsoft.EntityFrameworkCore;
using TieredTenancy.Tenancy.Data;
using TieredTenancy.Tenancy.Http;

namespace TieredTenancy.Api.Tasks;

/// <summary>
/// A page of a project's tasks in as few round trips as the answer allows: the page with the total
/// in one command; the total apart only for a page past the end; the project's existence only when
/// there is nothing to show. Shared by the tenant route and the benchmark's plain baseline, so the two
/// differ by tenancy alone.
/// </summary>
public static class TaskListing
{
    /// <summary>The page, or null when the project does not exist (for this tenant).</summary>
    public static async Task<PagedList<TaskResponse>?> PageAsync(TenantDataContext data, Guid projectId, PageRequest page, TaskFilter filter,
        CancellationToken cancellationToken, bool ignoreTenantFilter = false, Guid tenantId = default)
    {
        var tasks = data.Tasks.AsNoTracking().Where(t => t.ProjectId == projectId);
        if (filter.Label is { } label)
        {
            tasks = tasks.Where(t => t.Labels.Contains(label));
        }
        if (filter.Priority is { } priority)
        {
            tasks = tasks.Where(t => t.Priority == priority);
        }
        var projects = data.Projects.AsNoTracking().Where(p => p.Id == projectId);
        if (ignoreTenantFilter)
        {
            tasks = tasks.IgnoreQueryFilters().Where(t => t.TenantId == tenantId);
            projects = projects.IgnoreQueryFilters().Where(p => p.TenantId == tenantId);
        }

        // The page and the total in one command: the count is an uncorrelated subquery, which PostgreSQL
        // evaluates once (an InitPlan), not per row. Every tenant command carries its binding (set_config,
        // the placement fence, the report checked before any row), so two commands would pay it twice.
        var rows = await tasks.OrderBy(t => t.Id).Skip(page.Skip).Take(page.PageSize)
            .Select(t => new { Task = t, Total = tasks.Count() })
            .ToListAsync(cancellationToken);
        var shape = data.Shape;
        var items = rows.Select(row => TaskResponse.From(row.Task, shape)).ToList();
        // No row carries the total when the page is empty: none at all on the first page, else it is counted apart.
        var total = rows.Count > 0 ? rows[0].Total : page.Page == 1 ? 0 : await tasks.CountAsync(cancellationToken);
        if (total == 0 && !await projects.AnyAsync(cancellationToken))
        {
            return null;
        }
        return new PagedList<TaskResponse>(items, page.Page, page.PageSize, total);
    }
}
