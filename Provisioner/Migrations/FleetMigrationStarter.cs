using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TieredTenancy.Provisioner.Audit;
using TieredTenancy.Provisioner.Operations;
using TieredTenancy.Provisioner.Storage;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Migrations;

/// <summary>
/// Starts fleet migrations: one at a time (the catalog enforces it with a unique index over active
/// migrate operations), recorded as a durable operation the runner carries out.
/// </summary>
public sealed class FleetMigrationStarter(CatalogDbContext catalog, StorageMigrations migrations, OperationRunner runner, ControlPlaneAudit audit, IOptions<MigrationOptions> options)
{
    /// <summary>The started operation, or the migration already running.</summary>
    /// <param name="faultPlan">Test runs only: faults for the operation's steps (see <c>FaultInjection</c>).</param>
    public async Task<(Operation? Started, Operation? Running)> StartAsync(string? targetVersion, int? canary, int? maxParallel, int? maxFailures, string actor,
        CancellationToken cancellationToken, string? faultPlan = null)
    {
        var parameters = new MigrationParameters(
            targetVersion ?? migrations.LatestVersion,
            canary ?? options.Value.Canary,
            maxParallel ?? options.Value.MaxParallel,
            maxFailures ?? options.Value.MaxFailures);
        var operation = new Operation
        {
            Kind = OperationKind.Migrate,
            Phase = "pending",
            Actor = actor,
            Parameters = JsonSerializer.Serialize(parameters, OperationRun.Json),
            FaultPlan = faultPlan,
        };
        catalog.Operations.Add(operation);
        audit.Record("migration.start", null, $"operation={operation.Id} version={parameters.TargetVersion} canary={parameters.Canary} " +
            $"maxParallel={parameters.MaxParallel} maxFailures={parameters.MaxFailures}", actor);
        try
        {
            await catalog.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException exception) when (IsOneMigrationAtATime(exception))
        {
            catalog.ChangeTracker.Clear();
            return (null, await RunningAsync(cancellationToken));
        }
        runner.Wake();
        return (operation, null);
    }

    public Task<Operation?> RunningAsync(CancellationToken cancellationToken) =>
        catalog.Operations.AsNoTracking()
            .Where(o => o.Kind == OperationKind.Migrate && (o.Status == OperationStatus.Pending || o.Status == OperationStatus.Running))
            .FirstOrDefaultAsync(cancellationToken);

    private static bool IsOneMigrationAtATime(DbUpdateException exception) =>
        exception.InnerException is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.UniqueViolation, ConstraintName: OperationStatuses.OneActiveMigrationIndex };
}
