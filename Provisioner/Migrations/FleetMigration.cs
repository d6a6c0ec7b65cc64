using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using TieredTenancy.Provisioner.Faults;
using TieredTenancy.Provisioner.Operations;
using TieredTenancy.Provisioner.Servers;
using TieredTenancy.Provisioner.Storage;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Migrations;

/// <summary>What a fleet migration was asked to do.</summary>
public sealed record MigrationParameters(string TargetVersion, int Canary, int MaxParallel, int MaxFailures);

/// <summary>
/// Brings every storage target (the shared tables, the templates, every tenant schema and tenant
/// database) to one version: the plan is written to the catalog first (one row per target), then
/// the platform targets go, then a canary, then the rest with bounded parallelism per server, each
/// target in its own transaction (see <see cref="TargetMigrator"/>). Failed targets are recorded and
/// the others go on until the failure budget is spent. A crashed or resumed run carries on from the
/// plan: what succeeded is not touched again.
/// </summary>
public sealed class FleetMigration(
    CatalogDbContext catalog,
    IServiceScopeFactory scopes,
    TargetMigrator migrator,
    TenantServers servers,
    FaultInjection faults,
    IOptions<MigrationOptions> options,
    ILogger<FleetMigration> logger) : IOperationHandler
{
    private readonly MigrationOptions _options = options.Value;

    public Task RunAsync(OperationRun run, CancellationToken cancellationToken) => ContinueAsync(run, cancellationToken);

    // The plan and every target's outcome are durable: recovering is carrying on.
    public Task RecoverAsync(OperationRun run, CancellationToken cancellationToken) => ContinueAsync(run, cancellationToken);

    public async Task<string?> RefuseResumeAsync(Operation operation, CatalogDbContext catalog, CancellationToken cancellationToken) =>
        await catalog.Operations.AsNoTracking()
            .Where(o => o.Kind == OperationKind.Migrate && o.Id != operation.Id && (o.Status == OperationStatus.Pending || o.Status == OperationStatus.Running))
            .Select(o => (Guid?)o.Id)
            .FirstOrDefaultAsync(cancellationToken) is { } running
            ? $"Migration {running} is running; one fleet migration runs at a time."
            : null;

    public async Task PrepareResumeAsync(Operation operation, CatalogDbContext catalog, CancellationToken cancellationToken)
    {
        // Failed targets are tried again; those that succeeded stay as they are.
        await catalog.TargetMigrations.Where(m => m.OperationId == operation.Id && m.State == TargetMigrationState.Failed)
            .ExecuteUpdateAsync(set => set.SetProperty(m => m.State, TargetMigrationState.Pending), cancellationToken);
        operation.Phase = "pending";
        operation.Error = null;
    }

    private async Task ContinueAsync(OperationRun run, CancellationToken cancellationToken)
    {
        var parameters = run.Parameters<MigrationParameters>();
        await run.EnterPhaseAsync("planning", cancellationToken);
        var (total, done) = await PlanAsync(run, parameters, cancellationToken);
        var progress = new Progress(run, total, done);

        var failures = 0;
        foreach (var (stage, phase) in new[] { (TargetMigrationStages.Platform, "platform"), (TargetMigrationStages.Canary, "canary"), (TargetMigrationStages.Fleet, "migrating") })
        {
            await run.EnterPhaseAsync(phase, cancellationToken, total, progress.Done);
            await faults.PauseAtAsync(phase, cancellationToken);
            // Platform targets and the canary one at a time: a failure there stops everything before the fleet is touched.
            var parallel = stage == TargetMigrationStages.Fleet ? parameters.MaxParallel : 1;
            var budget = stage == TargetMigrationStages.Fleet ? parameters.MaxFailures - failures : 1;
            failures += await MigrateStageAsync(run.Attempt, stage, parallel, budget, progress, cancellationToken);
            if (stage != TargetMigrationStages.Fleet && failures > 0 || failures >= parameters.MaxFailures)
            {
                break;
            }
        }
        await progress.FlushAsync(cancellationToken);

        var failed = await FailedTargetsAsync(run.Id, cancellationToken);
        if (failed.Count == 0 && await PendingAsync(run.Id, cancellationToken) == 0)
        {
            await run.FinishAsync(OperationStatus.Succeeded, cancellationToken);
            return;
        }
        var named = string.Join("; ", failed.Take(10).Select(m => $"{m.Kind} {m.Server}/{m.Database}/{m.Schema}: {m.Error}"));
        await run.FinishAsync(OperationStatus.Failed, cancellationToken,
            $"{failed.Count} target(s) failed{(failed.Count > 10 ? " (the first 10 named)" : "")}: {named}. " +
            "The others are at their new version; fix the cause and resume the operation to try the rest.");
    }

    /// <summary>The plan, written once: every target not at the version, in stages. Returns the planned and the finished counts.</summary>
    private async Task<(long Total, long Done)> PlanAsync(OperationRun run, MigrationParameters parameters, CancellationToken cancellationToken)
    {
        if (!await catalog.TargetMigrations.AnyAsync(m => m.OperationId == run.Id, cancellationToken))
        {
            await catalog.Database.ExecuteSqlAsync($"""
                INSERT INTO target_migrations (operation_id, target_id, kind, tenant_id, server, database, schema, stage, from_version, to_version, state, attempts)
                SELECT {run.Id}, t.id, t.kind, t.tenant_id, t.server, t.database, t.schema,
                  CASE WHEN t.tenant_id IS NULL THEN {TargetMigrationStages.Platform}
                       WHEN row_number() OVER (PARTITION BY t.tenant_id IS NULL ORDER BY t.id) <= {parameters.Canary} THEN {TargetMigrationStages.Canary}
                       ELSE {TargetMigrationStages.Fleet} END,
                  t.migration_version, {parameters.TargetVersion}, 'Pending', 0
                FROM storage_targets t LEFT JOIN tenants n ON n.id = t.tenant_id
                WHERE t.migration_version <> {parameters.TargetVersion}
                  AND (t.tenant_id IS NULL OR n.status NOT IN ('Provisioning', 'Deleted'))
                ON CONFLICT DO NOTHING
                """, cancellationToken);
        }
        var counts = await catalog.TargetMigrations.Where(m => m.OperationId == run.Id)
            .GroupBy(m => m.State == TargetMigrationState.Pending)
            .Select(group => new { Pending = group.Key, Count = group.LongCount() })
            .ToListAsync(cancellationToken);
        var total = counts.Sum(count => count.Count);
        return (total, total - counts.Where(count => count.Pending).Sum(count => count.Count));
    }

    /// <summary>
    /// One stage: the pending targets per server, each server worked by <paramref name="parallel"/>
    /// workers; targets whose tenant is busy are tried again until <see cref="MigrationOptions.BusyTenantWait"/>.
    /// Returns the targets that failed.
    /// </summary>
    private async Task<int> MigrateStageAsync(OperationAttempt attempt, int stage, int parallel, int budget, Progress progress, CancellationToken cancellationToken)
    {
        var failures = 0;
        var busySince = Stopwatch.StartNew();
        var pending = await PendingTargetsAsync(attempt.OperationId, stage, cancellationToken);
        while (pending.Count > 0)
        {
            var busy = new ConcurrentBag<(TargetMigration Target, string Why)>();
            var workers = pending.GroupBy(target => target.Server).SelectMany(server =>
            {
                var queue = new ConcurrentQueue<TargetMigration>(server);
                return Enumerable.Range(0, Math.Min(parallel, queue.Count)).Select(_ => Task.Run(() => WorkAsync(server.Key, queue)));
            });
            await Task.WhenAll(workers);
            if (busy.IsEmpty || failures >= budget)
            {
                break;
            }
            if (busySince.Elapsed > _options.BusyTenantWait)
            {
                foreach (var (target, why) in busy)
                {
                    await MarkFailedAsync(target, $"The tenant stayed busy for {_options.BusyTenantWait}: {why}.", cancellationToken);
                    Interlocked.Increment(ref failures);
                }
                break;
            }
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            pending = busy.Select(entry => entry.Target).ToList();

            async Task WorkAsync(string server, ConcurrentQueue<TargetMigration> queue)
            {
                // Workers run side by side: each has a catalog connection of its own.
                await using var scope = scopes.CreateAsyncScope();
                var workerCatalog = (NpgsqlConnection)scope.ServiceProvider.GetRequiredService<CatalogDbContext>().Database.GetDbConnection();
                await workerCatalog.OpenAsync(cancellationToken);
                // Schema targets share one database: one connection per worker serves all of them.
                await using var shared = server == servers.SharedServer ? await servers.ConnectSharedAsync(cancellationToken) : null;
                while (Volatile.Read(ref failures) < budget && queue.TryDequeue(out var target))
                {
                    var (outcome, detail) = await migrator.MigrateAsync(workerCatalog, shared, attempt, target, cancellationToken);
                    switch (outcome)
                    {
                        case TargetOutcome.Busy:
                            busy.Add((target, detail!));
                            break;
                        case TargetOutcome.Failed:
                            Interlocked.Increment(ref failures);
                            await progress.AddAsync(cancellationToken);
                            break;
                        default:
                            await progress.AddAsync(cancellationToken);
                            break;
                    }
                }
            }
        }
        return failures;
    }

    private async Task<List<TargetMigration>> PendingTargetsAsync(Guid operationId, int stage, CancellationToken cancellationToken)
    {
        return await catalog.TargetMigrations.AsNoTracking()
            .Where(m => m.OperationId == operationId && m.Stage == stage && m.State == TargetMigrationState.Pending)
            .OrderBy(m => m.Kind).ThenBy(m => m.TargetId)
            .ToListAsync(cancellationToken);
    }

    private async Task<List<TargetMigration>> FailedTargetsAsync(Guid operationId, CancellationToken cancellationToken)
    {
        return await catalog.TargetMigrations.AsNoTracking()
            .Where(m => m.OperationId == operationId && m.State == TargetMigrationState.Failed)
            .OrderBy(m => m.Stage).ThenBy(m => m.TargetId)
            .ToListAsync(cancellationToken);
    }

    private async Task<int> PendingAsync(Guid operationId, CancellationToken cancellationToken)
    {
        return await catalog.TargetMigrations
            .CountAsync(m => m.OperationId == operationId && m.State == TargetMigrationState.Pending, cancellationToken);
    }

    private async Task MarkFailedAsync(TargetMigration target, string error, CancellationToken cancellationToken)
    {
        logger.LogWarning("Target {Server}/{Database}/{Schema} not migrated: {Error}", target.Server, target.Database, target.Schema, error);
        await catalog.TargetMigrations
            .Where(m => m.OperationId == target.OperationId && m.TargetId == target.TargetId)
            .ExecuteUpdateAsync(set => set
                .SetProperty(m => m.State, TargetMigrationState.Failed)
                .SetProperty(m => m.Error, error)
                .SetProperty(m => m.FinishedAt, DateTimeOffset.UtcNow), cancellationToken);
    }

    /// <summary>Targets finished, written to the operation at most four times a second (a thousand targets must not cost a thousand writes).</summary>
    private sealed class Progress(OperationRun run, long total, long done)
    {
        private readonly SemaphoreSlim _write = new(1, 1);
        private long _done = done;
        private long _lastWrite = Stopwatch.GetTimestamp();

        public long Done => Interlocked.Read(ref _done);

        public async Task AddAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _done);
            if (Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastWrite)) > TimeSpan.FromMilliseconds(250) && await _write.WaitAsync(0, cancellationToken))
            {
                try
                {
                    Interlocked.Exchange(ref _lastWrite, Stopwatch.GetTimestamp());
                    await run.ProgressAsync(Done, cancellationToken, total);
                }
                finally
                {
                    _write.Release();
                }
            }
        }

        public async Task FlushAsync(CancellationToken cancellationToken)
        {
            await _write.WaitAsync(cancellationToken);
            try
            {
                await run.ProgressAsync(Done, cancellationToken, total);
            }
            finally
            {
                _write.Release();
            }
        }
    }
}
