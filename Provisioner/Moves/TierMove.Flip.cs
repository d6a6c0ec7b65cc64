using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using TieredTenancy.Provisioner.Operations;
using TieredTenancy.Provisioner.Storage;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Moves;

/// <summary>The switch: freeze the tenant's writes, final delta, verify, fence the source, flip the registry, release.</summary>
public sealed partial class TierMove
{
    private async Task FreezeVerifyAndFlipAsync(TenantData source, TenantData destination, ChangeCapture capture,
        IReadOnlyDictionary<string, BulkTable> bulk, CancellationToken cancellationToken)
    {
        await _run.EnterPhaseAsync("frozen", cancellationToken);
        // Its own session: the freeze is a session lock, and ends with the session if this process dies.
        await using var freeze = await _source.ConnectAsync(_from, cancellationToken);
        var frozen = Stopwatch.StartNew();
        await PlacementFences.FreezeWritesAsync(freeze, TenantId, _options.FreezeWait, cancellationToken);
        try
        {
            _state.Report.ChangedRows += await _run.FencedAsync((_, token) => capture.ApplyAsync(destination, token), cancellationToken);
            await PauseAsync("frozen", cancellationToken);

            await _run.EnterPhaseAsync("verifying", cancellationToken);
            await VerifyChangesAsync(source, destination, capture, bulk, cancellationToken);
            await PauseAsync("verified", cancellationToken);

            _state.Flipping = true;
            await _run.EnterPhaseAsync("flipping", cancellationToken);
            await _run.SaveStateAsync(_state, cancellationToken);
            await FenceSourceAsync(source.Connection, cancellationToken);
            if (!await PlacementFences.HoldsFreezeAsync(freeze, TenantId, cancellationToken))
            {
                // Its session ended before the fence committed: writers may have committed on the source since the final delta.
                logger.LogWarning("Move {OperationId}: the freeze ended before the source's fence; applying what changed since", _run.Id);
                await SettleAfterFenceAsync(source, destination, capture, bulk, cancellationToken);
            }
            await PauseAsync("fenced", cancellationToken);
            await _run.FencedAsync(FlipRegistryAsync, cancellationToken);
            await PauseAsync("flipped", cancellationToken);

            await _run.EnterPhaseAsync("releasing", cancellationToken);
            await BroadcastAsync();
        }
        finally
        {
            // Writers waiting on the lock go on now: after the flip they meet the fence and retry on the target.
            await PlacementFences.ThawWritesAsync(freeze, TenantId, CancellationToken.None);
            _state.Report.FreezeMilliseconds = Math.Round(frozen.Elapsed.TotalMilliseconds, 1);
        }
        await _run.SaveStateAsync(_state, cancellationToken);
    }

    /// <summary>Retires the source's epoch in the source database, before the registry names the target.</summary>
    private async Task FenceSourceAsync(NpgsqlConnection source, CancellationToken cancellationToken)
    {
        _state.FencedAt = await _run.FencedAsync(async (_, token) =>
        {
            await PlacementFences.RetireAsync(source, TenantId, _from.Epoch, token);
            return await PlacementFences.ClockAsync(source, token);
        }, cancellationToken);
        await _run.SaveStateAsync(_state, cancellationToken);
    }

    /// <summary>
    /// Recovery from the flipping phase on: fence (again) and flip (unless done), broadcast. The
    /// freeze died with the run, so before the flip whatever writers committed on the source since
    /// the final delta is applied and verified under the fence.
    /// </summary>
    private async Task FinishFlipAsync(CancellationToken cancellationToken)
    {
        var epoch = await catalog.Tenants.AsNoTracking().Where(t => t.Id == TenantId).Select(t => t.Placement.Epoch).SingleAsync(cancellationToken);
        if (epoch != _state.Target!.Epoch)
        {
            await using var sourceConnection = await _source.ConnectAsync(_from, cancellationToken);
            await using var targetConnection = await _target.ConnectAsync(_state.Target.ToPlacement(_state.TargetProtectedConnectionString), cancellationToken);
            var source = new TenantData(sourceConnection, _from.Schema, TenantId);
            var destination = new TenantData(targetConnection, _state.Target.Schema, TenantId);
            await source.NormalizeSessionAsync(cancellationToken);
            await destination.NormalizeSessionAsync(cancellationToken);
            if (_state.FencedAt is null)
            {
                await FenceSourceAsync(sourceConnection, cancellationToken);
            }
            await SettleAfterFenceAsync(source, destination, Capture(source), await BulkOfReportAsync(source, cancellationToken), cancellationToken);
        }
        await _run.FencedAsync(FlipRegistryAsync, cancellationToken);
        await BroadcastAsync();
    }

    /// <summary>
    /// With the source fenced and no freeze: waits out the tenant's writers that entered it before the
    /// fence (each holds the tenant's write lock shared until it ends, so taking it exclusive waits for
    /// exactly them; a writer after the fence is refused), then applies and verifies the changes once
    /// more. Nothing can change on the source after this, so the flip loses no acknowledged write.
    /// </summary>
    private async Task SettleAfterFenceAsync(TenantData source, TenantData destination, ChangeCapture capture,
        IReadOnlyDictionary<string, BulkTable> bulk, CancellationToken cancellationToken)
    {
        await PlacementFences.FreezeWritesAsync(source.Connection, TenantId, _options.FreezeWait, cancellationToken);
        await PlacementFences.ThawWritesAsync(source.Connection, TenantId, cancellationToken);
        _state.Report.ChangedRows += await _run.FencedAsync((_, token) => capture.ApplyAsync(destination, token), cancellationToken);
        await VerifyChangesAsync(source, destination, capture, bulk, cancellationToken);
        await _run.SaveStateAsync(_state, cancellationToken);
    }

    /// <summary>The registry names the target (new tier, new plan, epoch + 1), with the move's audit event, in one commit. Idempotent.</summary>
    private async Task FlipRegistryAsync(FencedStep fenced, CancellationToken cancellationToken)
    {
        var tenant = await fenced.Catalog.Tenants.SingleAsync(t => t.Id == TenantId, cancellationToken);
        var target = _state.Target!;
        if (tenant.Placement.Epoch == target.Epoch)
        {
            return;
        }
        if (tenant.Placement.Epoch != _from.Epoch)
        {
            throw new InvalidOperationException($"The tenant is at epoch {tenant.Placement.Epoch}; this move flips epoch {_from.Epoch} only.");
        }
        tenant.Isolation = _parameters.ToIsolation;
        tenant.Plan = _parameters.ToPlan;
        tenant.Placement.Server = target.Server;
        tenant.Placement.Database = target.Database;
        tenant.Placement.Schema = target.Schema;
        tenant.Placement.Role = target.Role;
        tenant.Placement.ProtectedConnectionString = _state.TargetProtectedConnectionString;
        tenant.Placement.Epoch = target.Epoch;
        tenant.UpdatedAt = DateTimeOffset.UtcNow;
        if (_target.HasOwnTarget)
        {
            fenced.Catalog.StorageTargets.Add(new StorageTarget
            {
                Kind = StorageTargetKinds.For(_parameters.ToIsolation),
                Server = target.Server,
                Database = target.Database,
                Schema = target.Schema,
                TenantId = TenantId,
                MigrationVersion = _state.Version!,
            });
        }
        fenced.Audit.Record("tenant.move", TenantId,
            $"operation={_run.Id} plan={_parameters.FromPlan}->{_parameters.ToPlan} from={_state.Report.From} to={_state.Report.To} " +
            $"rows={_state.Report.BulkRows}+{_state.Report.ChangedRows} changed", _run.Operation.Actor);
        await fenced.Catalog.SaveChangesAsync(cancellationToken);
    }
}
