using TieredTenancy.Provisioner.Storage;
using TieredTenancy.Tenancy.Data;

namespace TieredTenancy.Provisioner.Moves;

/// <summary>The copy: bulk at one snapshot, its verification, and catching up with the captured changes.</summary>
public sealed partial class TierMove
{
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
        await _run.EnterPhaseAsync("copying", cancellationToken, total: counts.Values.Sum(), done: 0);

        var structure = _target.HasOwnTarget ? await LoadStructure.DropAsync(destination.Connection, destination.Schema, Tables, cancellationToken) : null;
        long done = 0;
        foreach (var table in Tables)
        {
            var columns = await source.ColumnsAsync(table, cancellationToken, snapshot);
            var all = columns.Select(column => column.Name).ToList();
            bulk[table] = new BulkTable(all, await source.ChecksumAsync(table, all, cancellationToken, transaction: snapshot));
            var copied = columns.Where(column => !column.IsGenerated).Select(column => column.Name).ToList();
            // A statement per range: each fits the attempt's statement timeout, and progress moves as they land.
            foreach (var range in await KeyRanges.OfAsync(source.Connection, snapshot, source.Table(table), TenantId, counts[table], _rowsPerStatement, cancellationToken))
            {
                await source.CopyToAsync(destination.Connection, destination.Table(table), table, copied, cancellationToken, range: range);
                done += range.Rows;
                await _run.ProgressAsync(done, cancellationToken);
            }
        }
        await snapshot.CommitAsync(cancellationToken);
        if (structure is not null)
        {
            await structure.RestoreAsync(destination.Connection, cancellationToken);
        }
        _state.Report.BulkRows = done;
        return bulk;
    }

    private async Task VerifyCopyAsync(TenantData destination, IReadOnlyDictionary<string, BulkTable> bulk, CancellationToken cancellationToken)
    {
        await _run.EnterPhaseAsync("verifying-copy", cancellationToken);
        foreach (var (table, expected) in bulk)
        {
            var actual = await destination.ChecksumAsync(table, expected.Columns, cancellationToken);
            if (actual != expected.Checksum)
            {
                throw new MoveVerificationException(
                    $"The bulk copy of '{table}' does not match its source: source {expected.Checksum.Rows} rows (checksum {expected.Checksum.Sum}), target {actual.Rows} rows (checksum {actual.Sum}).");
            }
        }
    }

    /// <summary>Applies captured changes in rounds until few enough remain to apply under the freeze.</summary>
    private async Task CatchUpAsync(TenantData destination, ChangeCapture capture, CancellationToken cancellationToken)
    {
        await _run.EnterPhaseAsync("catching-up", cancellationToken);
        for (var round = 0; round < _options.MaxCatchUpRounds; round++)
        {
            var applied = await _run.FencedAsync((_, token) => capture.ApplyAsync(destination, token), cancellationToken);
            _state.Report.ChangedRows += applied;
            _state.Report.CatchUpRounds++;
            if (applied <= _options.FreezeThreshold)
            {
                break;
            }
        }
        await _run.SaveStateAsync(_state, cancellationToken);
        await PauseAsync("caught-up", cancellationToken);
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
            _state.Report.Tables[table] = new TableFigures(expected.Checksum.Rows, expected.Checksum.Sum, keys?.Count ?? 0,
                sourceChanged?.Rows ?? 0, targetChanged?.Rows ?? 0, sourceChanged?.Sum, targetChanged?.Sum);
            if (sourceChanged != targetChanged)
            {
                throw new MoveVerificationException(
                    $"'{table}' differs after the final delta: of {keys!.Count} changed keys the source holds {sourceChanged!.Value.Rows} rows " +
                    $"(checksum {sourceChanged.Value.Sum}), the target {targetChanged!.Value.Rows} (checksum {targetChanged.Value.Sum}).");
            }
        }
    }

    /// <summary>What the bulk comparison recorded before a crash, with the source's columns: what a resumed verification compares.</summary>
    private async Task<IReadOnlyDictionary<string, BulkTable>> BulkOfReportAsync(TenantData source, CancellationToken cancellationToken)
    {
        var bulk = new Dictionary<string, BulkTable>();
        foreach (var table in Tables)
        {
            var columns = (await source.ColumnsAsync(table, cancellationToken)).Select(column => column.Name).ToList();
            var figures = _state.Report.Tables.GetValueOrDefault(table);
            bulk[table] = new BulkTable(columns, new TableChecksum(figures?.BulkRows ?? 0, figures?.BulkChecksum ?? "0"));
        }
        return bulk;
    }

    private sealed record BulkTable(IReadOnlyList<string> Columns, TableChecksum Checksum);
}
