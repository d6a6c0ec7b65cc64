using Microsoft.EntityFrameworkCore;
using TieredTenancy.Tenancy.Data;
using TieredTenancy.Tenancy.Http;

namespace TieredTenancy.Api.Tasks;

/// <summary>
/// A page of a project's tasks in as few round trips as the answer allows: the page first; the
/// total only when the page is full or not the first; the project's existence only when there is
/// nothing to show. Shared by the tenant route and the benchmark's plain baseline, so the two
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

        var shape = data.Shape;
        var items = await tasks.OrderBy(t => t.Id).Skip(page.Skip).Take(page.PageSize).Select(t => TaskResponse.From(t, shape)).ToListAsync(cancellationToken);
        var total = page.Page == 1 && items.Count < page.PageSize ? items.Count : await tasks.CountAsync(cancellationToken);
        if (total == 0 && !await projects.AnyAsync(cancellationToken))
        {
            return null;
        }
        return new PagedList<TaskResponse>(items, page.Page, page.PageSize, total);
    }
}
