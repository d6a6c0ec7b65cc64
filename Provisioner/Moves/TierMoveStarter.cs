using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using TieredTenancy.Provisioner.Audit;
using TieredTenancy.Provisioner.Broadcast;
using TieredTenancy.Provisioner.Faults;
using TieredTenancy.Provisioner.Servers;
using TieredTenancy.Provisioner.Operations;
using TieredTenancy.Provisioner.Storage;
using TieredTenancy.Provisioner.Tenants;
using TieredTenancy.Tenancy.Plans;
using TieredTenancy.Tenancy.Registry;
using TieredTenancy.Tenancy.Storage;

namespace TieredTenancy.Provisioner.Moves;

/// <summary>
/// Starts tier moves: checks that the tenant may go where it is asked to, records the move as a
/// durable operation with the tenant marked moving (one commit; the catalog refuses a second
/// active operation on the tenant), and wakes the runner. The move itself is <see cref="TierMove"/>.
/// </summary>
public sealed class TierMoveStarter(
    CatalogDbContext catalog,
    IEnumerable<ITierStorage> tiers,
    FaultInjection faults,
    ControlPlaneAudit audit,
    RegistryBroadcast broadcast,
    OperationRunner runner,
    DedicatedPlacementPolicy placement)
{
    /// <summary>The started move's operation, or why the tenant cannot move now.</summary>
    public async Task<(Operation? Operation, Refusal? Refusal)> StartAsync(Tenant tenant, Plan plan, string? server, bool force,
        CancellationToken cancellationToken)
    {
        if (tenant.Status != TenantStatus.Active)
        {
            return (null, Refusal.Conflict($"Only an active tenant can be moved; the tenant is {tenant.Status.ToString().ToLowerInvariant()}."));
        }
        if (!force && await ProjectsOverLimitAsync(tenant, plan, cancellationToken) is { } overLimit)
        {
            return (null, overLimit);
        }
        if (plan.Isolation == IsolationKind.Database)
        {
            // Refused now rather than accepted and rolled back at its placement. A server named for
            // rebalancing is the caller's choice (409); no room on any server is the platform's (503).
            try
            {
                await placement.EnsureRoomAsync(server, cancellationToken);
            }
            catch (NoServerRoomException full)
            {
                return (null, server is null ? Refusal.Unavailable(full.Message) : Refusal.Conflict(full.Message));
            }
        }

        var parameters = new MoveParameters(tenant.Isolation, tenant.Plan, PlacementSnapshot.Of(tenant.Placement), plan.Isolation, plan.Name, server, force);
        var operation = new Operation
        {
            Kind = OperationKind.Move,
            TenantId = tenant.Id,
            Phase = "pending",
            Actor = audit.Actor,
            Parameters = JsonSerializer.Serialize(parameters, OperationRun.Json),
            FaultPlan = faults.CurrentPlan,
        };
        catalog.Operations.Add(operation);
        tenant.Status = TenantStatus.Moving;
        tenant.UpdatedAt = DateTimeOffset.UtcNow;
        audit.Record("tenant.move.start", tenant.Id,
            $"operation={operation.Id} plan={tenant.Plan}->{plan.Name} isolation={tenant.Isolation}->{plan.Isolation}"
            + (server is null ? "" : $" server={server}") + (force ? " force" : ""));
        try
        {
            // While a fleet migration migrates this tenant's storage it holds the tenant's lock: the move
            // starts after that target is done, and from then on the migration leaves the tenant to it.
            // Aspire's EF integration retries transient failures; a transaction must then run inside its strategy.
            await catalog.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
            {
                await using var transaction = await catalog.Database.BeginTransactionAsync(cancellationToken);
                await catalog.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({AdvisoryLocks.TenantStorageWork}, hashtext({tenant.Id}::text))", cancellationToken);
                await catalog.SaveChangesAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
            });
        }
        catch (DbUpdateException exception) when (TenantOperations.IsActiveOperationConflict(exception) || exception is DbUpdateConcurrencyException)
        {
            catalog.ChangeTracker.Clear();
            return (null, await new TenantOperations(catalog).ConflictAsync(tenant.Id, cancellationToken)
                ?? Refusal.Conflict("The tenant changed while the move was being started; look at it again and retry."));
        }
        await broadcast.TenantChangedAsync(tenant.Id);
        runner.Wake();
        return (operation, null);
    }

    /// <summary>A conflict when the tenant holds more projects than <paramref name="plan"/> allows.</summary>
    private async Task<Refusal?> ProjectsOverLimitAsync(Tenant tenant, Plan plan, CancellationToken cancellationToken)
    {
        var tier = tiers.Single(t => t.Kind == tenant.Isolation);
        await using var connection = await tier.ConnectAsync(tenant.Placement, cancellationToken);
        var projects = await new TenantData(connection, tenant.Placement.Schema, tenant.Id).CountAsync("projects", cancellationToken);
        return projects <= plan.Limits.MaxProjects
            ? null
            : Refusal.Conflict(
                $"The {plan.Name} plan allows {plan.Limits.MaxProjects} projects (maxProjects) and the tenant has {projects}; " +
                "remove projects first, or ask again with \"force\": true to move it anyway.");
    }
}
