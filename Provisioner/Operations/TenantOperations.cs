using Microsoft.EntityFrameworkCore;
using Npgsql;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Operations;

/// <summary>
/// One operation per tenant at a time. The catalog enforces it (a unique index over a tenant's
/// active operations); this names the running one in the 409 a conflicting request gets.
/// </summary>
public sealed class TenantOperations(CatalogDbContext catalog)
{
    /// <summary>Operations that still hold their tenant: pending or running (<see cref="Operation.IsActive"/>, as a query).</summary>
    public IQueryable<Operation> Active =>
        catalog.Operations.AsNoTracking().Where(o => o.Status == OperationStatus.Pending || o.Status == OperationStatus.Running);

    public Task<Operation?> ActiveAsync(Guid tenantId, CancellationToken cancellationToken) =>
        Active.Where(o => o.TenantId == tenantId).SingleOrDefaultAsync(cancellationToken);

    /// <summary>A conflict naming the tenant's running operation, or null when none runs.</summary>
    public async Task<Refusal?> ConflictAsync(Guid tenantId, CancellationToken cancellationToken) =>
        await ActiveAsync(tenantId, cancellationToken) is { } running ? Conflict(running) : null;

    public static Refusal Conflict(Operation running) =>
        Refusal.Conflict(
            $"The tenant has a {running.Kind.ToString().ToLowerInvariant()} operation running ({running.Id}, phase '{running.Phase}'); " +
            $"wait for it to end (GET {OperationResponse.Location(running.Id)}).");

    /// <summary>Whether a save failed because the tenant already has an active operation.</summary>
    public static bool IsActiveOperationConflict(DbUpdateException exception) =>
        exception.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: "ix_operations_one_active_per_tenant" };
}
