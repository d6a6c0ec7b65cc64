using TieredTenancy.Tenancy.Data;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using TieredTenancy.Provisioner.Audit;
using TieredTenancy.Provisioner.Faults;
using TieredTenancy.Provisioner.Operations;
using TieredTenancy.Provisioner.Storage;
using TieredTenancy.Provisioner.Tenants;
using TieredTenancy.Tenancy.Plans;
using TieredTenancy.Tenancy.Registry;
using TieredTenancy.Tenancy.Storage;

namespace TieredTenancy.Provisioner.Moves;

/// <summary>
/// Moves a tenant's data to another placement while it keeps working: prepare the target at the
/// source's version → capture changes on the source → bulk copy at one snapshot → verify the bulk
/// → catch up → freeze the tenant's writes (they wait) → final delta → verify what changed →
/// fence the source → flip the registry (epoch + 1) → broadcast → release → clean the source up.
/// Before the flip, any failure or crash rolls back (the source stays the placement, the target is
/// removed); from the flip on, the move only goes forward and cleanup is retried until done.
/// </summary>
public sealed class TierMove(
    IServiceScopeFactory scopes,
    TenantTables tables,
    FaultInjection faults,
    RegistryBroadcast broadcast,
    IOptions<TenantStorageOptions> storageOptions,
    IOptions<MoveOptions> options,
    ILogger<TierMove> logger) : IOperationHandler
{
    private readonly MoveOptions _options = options.Value;
    private readonly TenantTables _tables = tables;
    private readonly FaultInjection _faults = faults;
    private readonly RegistryBroadcast _broadcast = broadcast;
    private readonly string _ownerRole = storageOptions.Value.OwnerRole;
    private readonly ILogger<TierMove> _logger = logger;

    public OperationKind Kind => OperationKind.Move;

    public async Task RunAsync(OperationRun run, CancellationToken cancellationToken)
    {
        var parameters = run.Parameters<MoveParameters>();
        var state = run.State<MoveState>();
        await using var scope = scopes.CreateAsyncScope();
        var move = new Move(this, run, parameters, state, scope.ServiceProvider);
        try
        {
            await move.ForwardAsync(cancellationToken);
        }
        catch (Exception exception) when (!state.Flipping && exception is not OperationLeaseLostException && !cancellationToken.IsCancellationRequested)
        {
            _logger.LogWarning(exception, "Move {OperationId} of tenant {TenantId} failed in phase {Phase}; rolling back", run.Id, run.TenantId, run.Operation.Phase);
            await run.RecordErrorAsync($"Failed in phase '{run.Operation.Phase}': {exception.Message}", CancellationToken.None);
            await move.RollBackAsync(CancellationToken.None);
        }
    }

    public async Task RecoverAsync(OperationRun run, CancellationToken cancellationToken)
    {
        var state = run.State<MoveState>();
        await using var scope = scopes.CreateAsyncScope();
        var move = new Move(this, run, run.Parameters<MoveParameters>(), state, scope.ServiceProvider);
        if (state.Flipping)
        {
            // The source may already be fenced: the only safe way is forward.
            await move.FinishFlipAsync(cancellationToken);
            await move.CleanUpAsync(cancellationToken);
            return;
        }
        run.Operation.Error ??= $"The Provisioner stopped during phase '{run.Operation.Phase}'; the move was rolled back and the tenant stays where it was.";
        await run.RecordErrorAsync(run.Operation.Error, cancellationToken);
        await move.RollBackAsync(cancellationToken);
    }

    public async Task<string?> RefuseResumeAsync(Operation operation, CatalogDbContext catalog, CancellationToken cancellationToken)
    {
        var parameters = JsonSerializer.Deserialize<MoveParameters>(operation.Parameters, OperationRun.Json)!;
        var tenant = await catalog.Tenants.AsNoTracking().SingleOrDefaultAsync(t => t.Id == operation.TenantId, cancellationToken);
        if (tenant is null || tenant.Status != TenantStatus.Active)
        {
            return $"Only an active tenant can be moved; the tenant is {tenant?.Status.ToString().ToLowerInvariant() ?? "gone"}.";
        }
        return tenant.Placement.Epoch != parameters.From.Epoch || tenant.Isolation != parameters.FromIsolation
            ? "The tenant's placement changed since this move was asked for; ask for a new one."
            : null;
    }

    public async Task PrepareResumeAsync(Operation operation, CatalogDbContext catalog, CancellationToken cancellationToken)
    {
        var tenant = await catalog.Tenants.SingleAsync(t => t.Id == operation.TenantId, cancellationToken);
        tenant.Status = TenantStatus.Moving;
        tenant.UpdatedAt = DateTimeOffset.UtcNow;
        operation.State = "{}";
        operation.Phase = "pending";
        operation.Done = 0;
        operation.Error = null;
    }

    /// <summary>One run of one move: its parameters, its recorded state, and the storage of both tiers.</summary>
    private sealed class Move(TierMove mover, OperationRun run, MoveParameters parameters, MoveState state, IServiceProvider services)
    {
        private readonly ITierStorage _source = services.GetServices<ITierStorage>().Single(tier => tier.Kind == parameters.FromIsolation);
        private readonly ITierStorage _target = services.GetServices<ITierStorage>().Single(tier => tier.Kind == parameters.ToIsolation);
        private readonly Placement _from = parameters.From.ToPlacement();
        private Guid TenantId => run.TenantId;
        private IReadOnlyList<string> Tables => mover._tables.ParentsFirst;
        private FaultInjection Faults => mover._faults;

        public async Task ForwardAsync(CancellationToken cancellationToken)
        {
            await EnsureTenantIsAtSourceAsync(cancellationToken);

            await run.EnterPhaseAsync("preparing", cancellationToken);
            var target = await _target.PlaceAsync(TenantId, parameters.ToServer, cancellationToken);
            target.Epoch = _from.Epoch + 1;
            state.Version = await services.GetRequiredService<StorageVersions>().OfPlacementAsync(_from, cancellationToken);
            state.Target = PlacementSnapshot.Of(target);
            state.Report.From = $"{parameters.FromIsolation.ToString().ToLowerInvariant()} {parameters.From}";
            state.Report.To = $"{parameters.ToIsolation.ToString().ToLowerInvariant()} {state.Target}";
            state.Report.Version = state.Version;
            // Recorded before anything is made, so a rollback after a crash knows what to remove.
            await run.SaveStateAsync(state, cancellationToken);
            // Whatever an earlier attempt left there goes first (the tenant is not served from the target).
            await run.FencedAsync(async (_, token) =>
            {
                await _target.RemoveAsync(TenantId, target, token);
                await _target.CreateAsync(TenantId, target, state.Version, token);
            }, cancellationToken);
            state.TargetProtectedConnectionString = target.ProtectedConnectionString;
            await run.SaveStateAsync(state, cancellationToken);
            await PauseAsync("prepared", cancellationToken);

            await using var sourceConnection = await _source.ConnectAsync(_from, cancellationToken);
            await using var targetConnection = await _target.ConnectAsync(target, cancellationToken);
            var source = new TenantData(sourceConnection, _from.Schema, TenantId);
            var destination = new TenantData(targetConnection, target.Schema, TenantId);
            await source.NormalizeSessionAsync(cancellationToken);
            await destination.NormalizeSessionAsync(cancellationToken);
            var capture = Capture(source);

            await run.EnterPhaseAsync("capturing", cancellationToken);
            await run.FencedAsync((_, token) => capture.InstallAsync(token), cancellationToken);
            await PauseAsync("captured", cancellationToken);

            var bulk = await run.FencedAsync((_, token) => CopyBulkAsync(source, destination, token), cancellationToken);
            await PauseAsync("copied", cancellationToken);

            await run.EnterPhaseAsync("verifying-copy", cancellationToken);
            foreach (var (table, expected) in bulk)
            {
                var actual = await destination.ChecksumAsync(table, expected.Columns, cancellationToken);
                if (actual != expected.Checksum)
                {
                    throw new MoveVerificationException(
                        $"The bulk copy of '{table}' does not match its source: source {expected.Checksum.Rows} rows (checksum {expected.Checksum.Sum}), target {actual.Rows} rows (checksum {actual.Sum}).");
                }
            }

            await run.EnterPhaseAsync("catching-up", cancellationToken);
            for (var round = 0; round < mover._options.MaxCatchUpRounds; round++)
            {
                var applied = await run.FencedAsync((_, token) => capture.ApplyAsync(destination, token), cancellationToken);
                state.Report.ChangedRows += applied;
                state.Report.CatchUpRounds++;
                if (applied <= mover._options.FreezeThreshold)
                {
                    break;
                }
            }
            await run.SaveStateAsync(state, cancellationToken);
            await PauseAsync("caught-up", cancellationToken);

            await FreezeVerifyAndFlipAsync(source, destination, capture, bulk, cancellationToken);
            await CleanUpAsync(cancellationToken);
        }

        private async Task FreezeVerifyAndFlipAsync(TenantData source, TenantData destination, ChangeCapture capture,
            IReadOnlyDictionary<string, BulkTable> bulk, CancellationToken cancellationToken)
        {
            await run.EnterPhaseAsync("frozen", cancellationToken);
            // Its own session: the freeze is a session lock, and ends with the session if this process dies.
            await using var freeze = await _source.ConnectAsync(_from, cancellationToken);
            var frozen = Stopwatch.StartNew();
            await PlacementFences.FreezeWritesAsync(freeze, TenantId, mover._options.FreezeWait, cancellationToken);
            try
            {
                state.Report.ChangedRows += await run.FencedAsync((_, token) => capture.ApplyAsync(destination, token), cancellationToken);
                await PauseAsync("frozen", cancellationToken);

                await run.EnterPhaseAsync("verifying", cancellationToken);
                await VerifyChangesAsync(source, destination, capture, bulk, cancellationToken);
                await PauseAsync("verified", cancellationToken);

                state.Flipping = true;
                await run.EnterPhaseAsync("flipping", cancellationToken);
                await run.SaveStateAsync(state, cancellationToken);
                await FenceSourceAsync(source.Connection, cancellationToken);
                await run.FencedAsync(FlipRegistryAsync, cancellationToken);
                await PauseAsync("flipped", cancellationToken);

                await run.EnterPhaseAsync("releasing", cancellationToken);
                await BroadcastAsync();
            }
            finally
            {
                // Writers waiting on the lock go on now: after the flip they meet the fence and retry on the target.
                await PlacementFences.ThawWritesAsync(freeze, TenantId, CancellationToken.None);
                state.Report.FreezeMilliseconds = Math.Round(frozen.Elapsed.TotalMilliseconds, 1);
            }
            await run.SaveStateAsync(state, cancellationToken);
        }

        /// <summary>
        /// Bulk copy at one snapshot of the source, with each table's checksum at that snapshot.
        /// A target of its own loads without foreign keys and secondary indexes, rebuilt after.
        /// </summary>
        private async Task<IReadOnlyDictionary<string, BulkTable>> CopyBulkAsync(TenantData source, TenantData destination, CancellationToken cancellationToken)
        {
            var bulk = new Dictionary<string, BulkTable>();
            await using var snapshot = await source.Connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
            var counts = new Dictionary<string, long>();
            foreach (var table in Tables)
            {
                counts[table] = await source.CountAsync(table, cancellationToken, snapshot);
            }
            await run.EnterPhaseAsync("copying", cancellationToken, total: counts.Values.Sum(), done: 0);

            var structure = _target.HasOwnTarget ? await LoadStructure.DropAsync(destination.Connection, destination.Schema, Tables, cancellationToken) : null;
            long done = 0;
            foreach (var table in Tables)
            {
                var columns = await source.ColumnsAsync(table, cancellationToken, snapshot);
                var all = columns.Select(column => column.Name).ToList();
                bulk[table] = new BulkTable(all, await source.ChecksumAsync(table, all, cancellationToken, transaction: snapshot));
                await source.CopyToAsync(destination.Connection, destination.Table(table), table,
                    columns.Where(column => !column.IsGenerated).Select(column => column.Name).ToList(), cancellationToken);
                done += counts[table];
                await run.ProgressAsync(done, cancellationToken);
            }
            await snapshot.CommitAsync(cancellationToken);
            if (structure is not null)
            {
                await structure.RestoreAsync(destination.Connection, cancellationToken);
            }
            state.Report.BulkRows = done;
            return bulk;
        }

        /// <summary>
        /// Under the freeze, compare only what changed since the bulk's snapshot: the rows of every
        /// changed key (inserted, updated or deleted), their count and checksum on both sides, the
        /// two sides at once. The rest is what the bulk comparison found equal before the freeze, and
        /// catch-up touches changed keys only, so equal changed rows mean equal tables.
        /// </summary>
        private async Task VerifyChangesAsync(TenantData source, TenantData destination, ChangeCapture capture,
            IReadOnlyDictionary<string, BulkTable> bulk, CancellationToken cancellationToken)
        {
            var changed = await capture.AllChangedKeysAsync(cancellationToken);
            foreach (var (table, expected) in bulk)
            {
                var keys = changed.GetValueOrDefault(table);
                TableChecksum? sourceChanged = null, targetChanged = null;
                if (keys is { Count: > 0 })
                {
                    var both = await Task.WhenAll(
                        source.ChecksumAsync(table, expected.Columns, cancellationToken, keys),
                        destination.ChecksumAsync(table, expected.Columns, cancellationToken, keys));
                    (sourceChanged, targetChanged) = (both[0], both[1]);
                }
                state.Report.Tables[table] = new TableFigures(expected.Checksum.Rows, expected.Checksum.Sum, keys?.Count ?? 0,
                    sourceChanged?.Rows ?? 0, targetChanged?.Rows ?? 0, sourceChanged?.Sum, targetChanged?.Sum);
                if (sourceChanged != targetChanged)
                {
                    throw new MoveVerificationException(
                        $"'{table}' differs after the final delta: of {keys!.Count} changed keys the source holds {sourceChanged!.Value.Rows} rows " +
                        $"(checksum {sourceChanged.Value.Sum}), the target {targetChanged!.Value.Rows} (checksum {targetChanged.Value.Sum}).");
                }
            }
        }

        /// <summary>Retires the source's epoch in the source database, before the registry names the target.</summary>
        private async Task FenceSourceAsync(NpgsqlConnection source, CancellationToken cancellationToken)
        {
            state.FencedAt = await run.FencedAsync(async (_, token) =>
            {
                await PlacementFences.RetireAsync(source, TenantId, _from.Epoch, token);
                return await PlacementFences.ClockAsync(source, token);
            }, cancellationToken);
            await run.SaveStateAsync(state, cancellationToken);
        }

        /// <summary>Recovery from the flipping phase on: fence (again) and flip (unless done), broadcast.</summary>
        public async Task FinishFlipAsync(CancellationToken cancellationToken)
        {
            if (state.FencedAt is null)
            {
                await using var source = await _source.ConnectAsync(_from, cancellationToken);
                await FenceSourceAsync(source, cancellationToken);
            }
            await run.FencedAsync(FlipRegistryAsync, cancellationToken);
            await BroadcastAsync();
        }

        /// <summary>The registry names the target (new tier, new plan, epoch + 1), with the move's audit event, in one commit. Idempotent.</summary>
        private async Task FlipRegistryAsync(IServiceProvider fenced, CancellationToken cancellationToken)
        {
            var catalog = fenced.GetRequiredService<CatalogDbContext>();
            var tenant = await catalog.Tenants.SingleAsync(t => t.Id == TenantId, cancellationToken);
            var target = state.Target!;
            if (tenant.Placement.Epoch == target.Epoch)
            {
                return;
            }
            if (tenant.Placement.Epoch != _from.Epoch)
            {
                throw new InvalidOperationException($"The tenant is at epoch {tenant.Placement.Epoch}; this move flips epoch {_from.Epoch} only.");
            }
            tenant.Isolation = parameters.ToIsolation;
            tenant.Plan = parameters.ToPlan;
            tenant.Placement.Server = target.Server;
            tenant.Placement.Database = target.Database;
            tenant.Placement.Schema = target.Schema;
            tenant.Placement.Role = target.Role;
            tenant.Placement.ProtectedConnectionString = state.TargetProtectedConnectionString;
            tenant.Placement.Epoch = target.Epoch;
            tenant.UpdatedAt = DateTimeOffset.UtcNow;
            if (_target.HasOwnTarget)
            {
                catalog.StorageTargets.Add(new StorageTarget
                {
                    Kind = StorageTargetKinds.For(parameters.ToIsolation),
                    Server = target.Server,
                    Database = target.Database,
                    Schema = target.Schema,
                    TenantId = TenantId,
                    MigrationVersion = state.Version!,
                });
            }
            fenced.GetRequiredService<ControlPlaneAudit>().Record("tenant.move", TenantId,
                $"operation={run.Id} plan={parameters.FromPlan}->{parameters.ToPlan} from={state.Report.From} to={state.Report.To} " +
                $"rows={state.Report.BulkRows}+{state.Report.ChangedRows} changed", run.Operation.Actor);
            await catalog.SaveChangesAsync(cancellationToken);
        }

        /// <summary>
        /// After the flip: wait out requests that entered the source before its fence, then remove
        /// the capture and the source's storage (its rows, schema and role, or database and login)
        /// and its storage target. Idempotent, so a crash or a failure here is simply retried.
        /// </summary>
        public async Task CleanUpAsync(CancellationToken cancellationToken)
        {
            await run.EnterPhaseAsync("cleaning-up", cancellationToken);
            await PauseAsync("cleaning-up", cancellationToken);
            await Task.Delay(mover._options.CleanupDelay, cancellationToken);
            await run.FencedAsync(RemoveSourceAsync, cancellationToken);
            await BroadcastAsync();
            await run.FinishAsync(OperationStatus.Succeeded, cancellationToken);
            mover._logger.LogInformation("Moved tenant {TenantId} from {From} to {To}; writes frozen {Freeze} ms", TenantId, state.Report.From,
                state.Report.To, state.Report.FreezeMilliseconds);
        }

        private async Task RemoveSourceAsync(IServiceProvider fenced, CancellationToken cancellationToken)
        {
            if (parameters.FromIsolation != IsolationKind.Database || await SourceDatabaseExistsAsync(cancellationToken))
            {
                await using var connection = await _source.ConnectAsync(_from, cancellationToken);
                if (state.FencedAt is { } fencedAt && !await PlacementFences.DrainAsync(connection, fencedAt, mover._options.DrainWait, cancellationToken))
                {
                    mover._logger.LogWarning("Move {OperationId}: transactions older than the fence still run after {Wait}; cleaning up anyway",
                        run.Id, mover._options.DrainWait);
                }
                await Capture(new TenantData(connection, _from.Schema, TenantId)).RemoveAsync(cancellationToken);
            }
            await _source.RemoveAsync(TenantId, _from, cancellationToken);

            var catalog = fenced.GetRequiredService<CatalogDbContext>();
            if (_source.HasOwnTarget)
            {
                await catalog.StorageTargets
                    .Where(t => t.TenantId == TenantId && t.Server == _from.Server && t.Database == _from.Database && t.Schema == _from.Schema)
                    .ExecuteDeleteAsync(cancellationToken);
            }
            await SetStatusAsync(catalog, TenantStatus.Active, cancellationToken);
        }

        /// <summary>Before the flip: the source stays the placement; the capture and whatever was made at the target go.</summary>
        public async Task RollBackAsync(CancellationToken cancellationToken)
        {
            await run.EnterPhaseAsync("rolling-back", cancellationToken);
            await run.FencedAsync(async (fenced, token) =>
            {
                await using (var connection = await _source.ConnectAsync(_from, token))
                {
                    await Capture(new TenantData(connection, _from.Schema, TenantId)).RemoveAsync(token);
                }
                if (state.Target is { } target)
                {
                    await _target.RemoveAsync(TenantId, target.ToPlacement(), token);
                }
                fenced.GetRequiredService<ControlPlaneAudit>().Record("tenant.move.rolled-back", TenantId,
                    $"operation={run.Id} plan={parameters.FromPlan}->{parameters.ToPlan} error={run.Operation.Error}", run.Operation.Actor);
                await SetStatusAsync(fenced.GetRequiredService<CatalogDbContext>(), TenantStatus.Active, token);
            }, cancellationToken);
            await BroadcastAsync();
            await run.FinishAsync(OperationStatus.RolledBack, cancellationToken);
        }

        private async Task EnsureTenantIsAtSourceAsync(CancellationToken cancellationToken)
        {
            var catalog = services.GetRequiredService<CatalogDbContext>();
            var tenant = await catalog.Tenants.AsNoTracking().SingleAsync(t => t.Id == TenantId, cancellationToken);
            if (tenant.Placement.Epoch != _from.Epoch || tenant.Status != TenantStatus.Moving)
            {
                throw new InvalidOperationException(
                    $"The tenant is {tenant.Status.ToString().ToLowerInvariant()} at epoch {tenant.Placement.Epoch}; the move expected it moving at epoch {_from.Epoch}.");
            }
        }

        private async Task SetStatusAsync(CatalogDbContext catalog, TenantStatus status, CancellationToken cancellationToken)
        {
            await catalog.Tenants.Where(t => t.Id == TenantId && t.Status == TenantStatus.Moving)
                .ExecuteUpdateAsync(set => set.SetProperty(t => t.Status, status).SetProperty(t => t.UpdatedAt, DateTimeOffset.UtcNow), cancellationToken);
            // Audit events recorded beside the status change commit with it.
            await catalog.SaveChangesAsync(cancellationToken);
        }

        private async Task<bool> SourceDatabaseExistsAsync(CancellationToken cancellationToken)
        {
            var servers = services.GetRequiredService<TenantServers>();
            await using var admin = await servers.OpenDedicatedAdminAsync(_from.Server, cancellationToken);
            return await Sql.ScalarAsync<int?>(admin, "SELECT 1 FROM pg_database WHERE datname = $1", cancellationToken, _from.Database) is not null;
        }

        private async Task BroadcastAsync()
        {
            if (!Faults.Skips("broadcast"))
            {
                await mover._broadcast.TenantChangedAsync(TenantId);
            }
        }

        private ChangeCapture Capture(TenantData source) => new(source, run.Id, Tables, mover._ownerRole);

        private async Task PauseAsync(string step, CancellationToken cancellationToken)
        {
            Faults.At(step);
            await Faults.PauseAtAsync(step, cancellationToken);
        }
    }

    private sealed record BulkTable(IReadOnlyList<string> Columns, TableChecksum Checksum);
}
