using Microsoft.EntityFrameworkCore;
using TieredTenancy.Provisioner.Audit;
using TieredTenancy.Provisioner.Broadcast;
using TieredTenancy.Provisioner.Operations;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Tenants;

/// <summary>Suspend and resume: a status change from one state to another, audited and broadcast.</summary>
public sealed class TenantStatusChange(CatalogDbContext catalog, TenantLookup lookup, TenantOperations operations, ControlPlaneAudit audit, RegistryBroadcast broadcast)
{
    /// <summary>The tenant as it is after the change, or why it cannot change.</summary>
    public async Task<(Tenant? Tenant, Refusal? Refusal)> ApplyAsync(Guid tenantId, TenantStatus from, TenantStatus to, string action,
        CancellationToken cancellationToken)
    {
        var tenant = await lookup.FindAsync(tenantId, cancellationToken);
        if (tenant is null)
        {
            return (null, Refusal.NoTenant(tenantId.ToString()));
        }
        if (to == TenantStatus.Active && await CancelOffboardingInGraceAsync(tenant, cancellationToken))
        {
            tenant = (await lookup.FindAsync(tenantId, cancellationToken))!;
        }
        if (await operations.ConflictAsync(tenant.Id, cancellationToken) is { } conflict)
        {
            return (null, conflict);
        }
        if (tenant.Status != to)
        {
            if (tenant.Status != from)
            {
                return (null, Refusal.Conflict($"The tenant is {tenant.Status.ToString().ToLowerInvariant()}; only a {from.ToString().ToLowerInvariant()} tenant can be changed to {to.ToString().ToLowerInvariant()}."));
            }
            tenant.Status = to;
            tenant.UpdatedAt = DateTimeOffset.UtcNow;
            audit.Record(action, tenant.Id);
            await catalog.SaveChangesAsync(cancellationToken);
            await broadcast.TenantChangedAsync(tenant.Id);
        }
        return (tenant, null);
    }

    /// <summary>Resuming a tenant whose offboarding waits out its grace period cancels the offboarding (once it has started, it is too late).</summary>
    private async Task<bool> CancelOffboardingInGraceAsync(Tenant tenant, CancellationToken cancellationToken)
    {
        if (await operations.ActiveAsync(tenant.Id, cancellationToken) is not { Kind: OperationKind.Offboard, Status: OperationStatus.Pending } offboarding)
        {
            return false;
        }
        var cancelled = await catalog.Operations.Where(o => o.Id == offboarding.Id && o.Status == OperationStatus.Pending)
            .ExecuteUpdateAsync(set => set
                .SetProperty(o => o.Status, OperationStatus.RolledBack)
                .SetProperty(o => o.Error, "Cancelled: the tenant was resumed during the grace period.")
                .SetProperty(o => o.FinishedAt, DateTimeOffset.UtcNow)
                .SetProperty(o => o.UpdatedAt, DateTimeOffset.UtcNow), cancellationToken);
        if (cancelled == 1)
        {
            audit.Record("tenant.offboard.cancel", tenant.Id, $"operation={offboarding.Id}");
            await catalog.SaveChangesAsync(cancellationToken);
        }
        return cancelled == 1;
    }
}
