using Microsoft.EntityFrameworkCore;
using TieredTenancy.Api.Audit;
using TieredTenancy.Tenancy.Data;

namespace TieredTenancy.Api.Tasks;

/// <summary>
/// A new task in a project, with its entry in the tenant's audit trail, saved together. Shared by the
/// tenant route and the benchmark's plain baseline, so the two differ by tenancy alone.
/// </summary>
public static class TaskCreation
{
    public const string AuditAction = "task.create";

    /// <summary>The saved task, or null when the project does not exist (for this tenant).</summary>
    /// <param name="id">The new task's id when the caller chose it (an Idempotency-Key's); else a new one.</param>
    public static async Task<TaskItem?> CreateAsync(TenantDataContext data, Guid tenantId, string actor, Guid projectId, TaskRequest request,
        CancellationToken cancellationToken, bool ignoreTenantFilter = false, Guid? id = null)
    {
        var projects = data.Projects.Where(p => p.Id == projectId);
        if (ignoreTenantFilter)
        {
            projects = projects.IgnoreQueryFilters().Where(p => p.TenantId == tenantId);
        }
        // Another tenant's project is invisible here; the composite foreign key refuses it in the database too.
        if (!await projects.AnyAsync(cancellationToken))
        {
            return null;
        }
        var task = new TaskItem { Id = id ?? Guid.CreateVersion7(), TenantId = tenantId, ProjectId = projectId, Title = "" };
        request.ApplyTo(task);
        data.Tasks.Add(task);
        data.AuditEntries.Add(TenantAuditTrail.Entry(tenantId, actor, AuditAction, task.Id.ToString()));
        await data.SaveChangesAsync(cancellationToken);
        return task;
    }
}
