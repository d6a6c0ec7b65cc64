using Microsoft.EntityFrameworkCore;
using TieredTenancy.Provisioner.Operations;
using TieredTenancy.Provisioner.Storage;
using TieredTenancy.Tenancy.Plans;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Moves;

/// <summary>How a move ends: after the flip the source is cleaned up (retried until done); before it, everything rolls back.</summary>
public sealed partial class TierMove
{
    /// <summary>
    /// After the flip: wait out requests that entered the source before its fence, then remove
    /// the capture and the source's storage (its rows, schema and role, or database and login)
    /// and its storage target. Idempotent, so a crash or a failure here is simply retried.
    /// </summary>
    private async Task CleanUpAsync(CancellationToken cancellationToken)
    {
        await _run.EnterPhaseAsync("cleaning-up", cancellationToken);
        await PauseAsync("cleaning-up", cancellationToken);
        await Task.Delay(_options.CleanupDelay, cancellationToken);
        await _run.FencedAsync(RemoveSourceAsync, cancellationToken);
        await BroadcastAsync();
        await _run.FinishAsync(OperationStatus.Succeeded, cancellationToken);
        logger.LogInformation("Moved tenant {TenantId} from {From} to {To}; writes frozen {Freeze} ms", TenantId, _state.Report.From,
            _state.Report.To, _state.Report.FreezeMilliseconds);
    }

    private async Task RemoveSourceAsync(FencedStep fenced, CancellationToken cancellationToken)
    {
        if (_parameters.FromIsolation != IsolationKind.Database || await SourceDatabaseExistsAsync(cancellationToken))
        {
            await using var connection = await _source.ConnectAsync(_from, cancellationToken);
            if (_state.FencedAt is { } fencedAt && !await PlacementFences.DrainAsync(connection, fencedAt, _options.DrainWait, cancellationToken))
            {
                logger.LogWarning("Move {OperationId}: transactions older than the fence still run after {Wait}; cleaning up anyway",
                    _run.Id, _options.DrainWait);
            }
            await Capture(new TenantData(connection, _from.Schema, TenantId)).RemoveAsync(cancellationToken);
        }
        await _source.RemoveAsync(TenantId, _from, cancellationToken);
        await PauseAsync("source-removed", cancellationToken);

        if (_source.HasOwnTarget)
        {
            await fenced.Catalog.StorageTargets
                .Where(t => t.TenantId == TenantId && t.Server == _from.Server && t.Database == _from.Database && t.Schema == _from.Schema)
                .ExecuteDeleteAsync(cancellationToken);
        }
        await SetStatusAsync(fenced.Catalog, TenantStatus.Active, cancellationToken);
    }

    /// <summary>Before the flip: the source stays the placement; the capture and whatever was made at the target go.</summary>
    private async Task RollBackAsync(CancellationToken cancellationToken)
    {
        await _run.EnterPhaseAsync("rolling-back", cancellationToken);
        await _run.FencedAsync(async (fenced, token) =>
        {
            await using (var connection = await _source.ConnectAsync(_from, token))
            {
                await Capture(new TenantData(connection, _from.Schema, TenantId)).RemoveAsync(token);
            }
            if (_state.Target is { } target)
            {
                await _target.RemoveAsync(TenantId, target.ToPlacement(), token);
            }
            fenced.Audit.Record("tenant.move.rolled-back", TenantId,
                $"operation={_run.Id} plan={_parameters.FromPlan}->{_parameters.ToPlan} error={_run.Operation.Error}", _run.Operation.Actor);
            await SetStatusAsync(fenced.Catalog, TenantStatus.Active, token);
        }, cancellationToken);
        await BroadcastAsync();
        await _run.FinishAsync(OperationStatus.RolledBack, cancellationToken);
    }
}
