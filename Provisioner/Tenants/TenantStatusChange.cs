using Microsoft.AspNetCore.Http.HttpResults;
using TieredTenancy.Provisioner.Audit;
using TieredTenancy.Provisioner.Operations;
using TieredTenancy.Tenancy.Http;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Tenants;

/// <summary>Suspend and resume: a status change from one state to another, audited and broadcast.</summary>
public sealed class TenantStatusChange(CatalogDbContext catalog, TenantLookup lookup, TenantOperations operations, ControlPlaneAudit audit, RegistryBroadcast broadcast)
{
    public async Task<Results<Ok<TenantResponse>, ProblemHttpResult>> ApplyAsync(string id, TenantStatus from, TenantStatus to, string action,
        CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var tenantId, out var problem))
        {
            return problem;
        }
        var tenant = await lookup.FindAsync(tenantId, cancellationToken);
        if (tenant is null)
        {
            return TenantEndpoints.NotFound(id);
        }
        if (await operations.ConflictAsync(tenant.Id, cancellationToken) is { } conflict)
        {
            return conflict;
        }
        if (tenant.Status != to)
        {
            if (tenant.Status != from)
            {
                return Problems.Conflict($"The tenant is {tenant.Status.ToString().ToLowerInvariant()}; only a {from.ToString().ToLowerInvariant()} tenant can be changed to {to.ToString().ToLowerInvariant()}.");
            }
            tenant.Status = to;
            tenant.UpdatedAt = DateTimeOffset.UtcNow;
            audit.Record(action, tenant.Id);
            await catalog.SaveChangesAsync(cancellationToken);
            await broadcast.TenantChangedAsync(tenant.Id);
        }
        return TypedResults.Ok(await lookup.DescribeAsync(tenant, cancellationToken));
    }
}
