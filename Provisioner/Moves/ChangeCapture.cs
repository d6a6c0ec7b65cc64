using Npgsql;
using TieredTenancy.Provisioner.Storage;
using TieredTenancy.Tenancy.Storage;

namespace TieredTenancy.Provisioner.Moves;

/// <summary>
/// Change capture on a move's source: row triggers record the key of every row of the tenant that
/// is written while the bulk copy runs (writers pay for the trigger only while a move runs), and a
/// TRUNCATE, which no row trigger sees, is refused until the move ends.
/// Catching up is by state, not by replaying statements: each changed key's current source row (at
/// one snapshot) is upserted into the target, or deleted there when gone, so applying a key twice
/// is harmless and a resumed round loses nothing.
/// </summary>
public sealed class ChangeCapture(TenantData source, Guid operationId, IReadOnlyList<string> tables, string ownerRole)
{
    private string Trigger(string suffix) => Sql.Id($"tt_capture_{operationId:N}_{suffix}");

    private string DropTriggers(string table) => string.Join('\n', new[] { "w", "u", "d", "t" }.Select(suffix => $"DROP TRIGGER IF EXISTS {Trigger(suffix)} ON {source.Table(table)};"));

    /// <summary>
    /// Installs the capture (idempotent). It commits before the bulk copy takes its snapshot, so
    /// every write is either in the snapshot or captured.
    /// </summary>
    public async Task InstallAsync(CancellationToken cancellationToken)
    {
        var owner = Sql.Id(ownerRole);
        var tenant = Sql.Literal(source.TenantId.ToString());
        var operation = Sql.Literal(operationId.ToString());
        // An UPDATE is captured when the row was the tenant's before or is after: a changed key (or a row
        // handed to another tenant) leaves its old key to be deleted on the target.
        var triggers = tables.Select(table => $"""
            {DropTriggers(table)}
            CREATE TRIGGER {Trigger("w")} AFTER INSERT ON {source.Table(table)}
              FOR EACH ROW WHEN (NEW.tenant_id = {tenant}::uuid) EXECUTE FUNCTION tt_move.capture({operation});
            CREATE TRIGGER {Trigger("u")} AFTER UPDATE ON {source.Table(table)}
              FOR EACH ROW WHEN (OLD.tenant_id = {tenant}::uuid OR NEW.tenant_id = {tenant}::uuid) EXECUTE FUNCTION tt_move.capture({operation});
            CREATE TRIGGER {Trigger("d")} AFTER DELETE ON {source.Table(table)}
              FOR EACH ROW WHEN (OLD.tenant_id = {tenant}::uuid) EXECUTE FUNCTION tt_move.capture({operation});
            CREATE TRIGGER {Trigger("t")} BEFORE TRUNCATE ON {source.Table(table)}
              FOR EACH STATEMENT EXECUTE FUNCTION tt_move.refuse_truncate({operation});
            """);
        await using (var transaction = await source.Connection.BeginTransactionAsync(cancellationToken))
        {
            // Two moves from one database at once must not race to create the capture's schema.
            await Sql.ExecuteAsync(source.Connection, $"""
            SELECT pg_advisory_xact_lock({AdvisoryLocks.ChangeCaptureSchema});
            CREATE SCHEMA IF NOT EXISTS tt_move AUTHORIZATION {owner};
            CREATE TABLE IF NOT EXISTS tt_move.changes (
              seq bigserial PRIMARY KEY,
              operation_id uuid NOT NULL,
              table_name text NOT NULL,
              id uuid NOT NULL,
              applied boolean NOT NULL DEFAULT false);
            CREATE INDEX IF NOT EXISTS changes_operation ON tt_move.changes (operation_id, applied);
            ALTER TABLE tt_move.changes OWNER TO {owner};
            CREATE OR REPLACE FUNCTION tt_move.capture() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $capture$
            BEGIN
              IF TG_OP = 'DELETE' THEN
                INSERT INTO tt_move.changes (operation_id, table_name, id) VALUES (TG_ARGV[0]::uuid, TG_TABLE_NAME, OLD.id);
              ELSIF TG_OP = 'UPDATE' AND (OLD.id IS DISTINCT FROM NEW.id OR OLD.tenant_id IS DISTINCT FROM NEW.tenant_id) THEN
                INSERT INTO tt_move.changes (operation_id, table_name, id) VALUES (TG_ARGV[0]::uuid, TG_TABLE_NAME, OLD.id), (TG_ARGV[0]::uuid, TG_TABLE_NAME, NEW.id);
              ELSE
                INSERT INTO tt_move.changes (operation_id, table_name, id) VALUES (TG_ARGV[0]::uuid, TG_TABLE_NAME, NEW.id);
              END IF;
              RETURN NULL;
            END
            $capture$;
            ALTER FUNCTION tt_move.capture() OWNER TO {owner};
            -- A TRUNCATE removes rows without row triggers: it would leave them on the target, so it waits for the move's end.
            CREATE OR REPLACE FUNCTION tt_move.refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $refuse$
            BEGIN
              RAISE EXCEPTION 'table % cannot be truncated while a tenant of it moves (operation %)', TG_TABLE_NAME, TG_ARGV[0]
                USING ERRCODE = 'object_in_use';
            END
            $refuse$;
            ALTER FUNCTION tt_move.refuse_truncate() OWNER TO {owner};
            """, cancellationToken, transaction);
            await transaction.CommitAsync(cancellationToken);
        }
        await AlterTablesAsync(string.Join('\n', triggers), cancellationToken);
    }

    /// <summary>Removes the triggers and the captured keys (idempotent; nothing to do where none were installed).</summary>
    public async Task RemoveAsync(CancellationToken cancellationToken)
    {
        if (await Sql.ScalarAsync<string?>(source.Connection, "SELECT to_regclass('tt_move.changes')::text", cancellationToken) is null)
        {
            return;
        }
        // A cleanup retried after it dropped the source schema finds its tables (and their triggers) gone.
        if (await Sql.ScalarAsync<string?>(source.Connection, "SELECT to_regclass($1)::text", cancellationToken, source.Table(tables[0])) is not null)
        {
            await AlterTablesAsync(string.Join('\n', tables.Select(DropTriggers)), cancellationToken);
        }
        await using var delete = new NpgsqlCommand("DELETE FROM tt_move.changes WHERE operation_id = $1", source.Connection);
        delete.Parameters.Add(new NpgsqlParameter { Value = operationId });
        await delete.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Trigger DDL locks the source's tables, which writers lock in any order: waiting could deadlock,
    /// and PostgreSQL might abort the writer. So the DDL waits only a short lock timeout (under the
    /// deadlock check's one second), then yields and retries a little longer each time: the DDL is
    /// always the one that gives way, and writers queued behind it wait briefly.
    /// </summary>
    private async Task AlterTablesAsync(string ddl, CancellationToken cancellationToken)
    {
        var locks = $"LOCK TABLE {string.Join(", ", tables.Select(source.Table))} IN SHARE ROW EXCLUSIVE MODE;";
        for (var attempt = 1; ; attempt++)
        {
            await using var transaction = await source.Connection.BeginTransactionAsync(cancellationToken);
            try
            {
                var wait = Math.Min(40 + attempt * 10, 250);
                await Sql.ExecuteAsync(source.Connection, $"SET LOCAL lock_timeout = '{wait}ms';\n{locks}\n{ddl}", cancellationToken, transaction);
                await transaction.CommitAsync(cancellationToken);
                return;
            }
            catch (PostgresException exception) when (exception.SqlState is PostgresErrorCodes.LockNotAvailable or PostgresErrorCodes.DeadlockDetected
                && attempt < 100)
            {
                await transaction.RollbackAsync(cancellationToken);
                await Task.Delay(Random.Shared.Next(20, 120), cancellationToken);
            }
        }
    }

    /// <summary>Captured keys not applied yet.</summary>
    public async Task<long> PendingAsync(CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT count(*) FROM tt_move.changes WHERE operation_id = $1 AND NOT applied", source.Connection);
        command.Parameters.Add(new NpgsqlParameter { Value = operationId });
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// Applies every captured change visible now to <paramref name="target"/>: at one snapshot of the
    /// source, the current rows of the changed keys are staged on the target, then in one target
    /// transaction the keys gone from the source are deleted (children first) and the others
    /// upserted (parents first), so the target's foreign keys hold at every step. Returns the keys applied.
    /// </summary>
    public async Task<long> ApplyAsync(TenantData target, CancellationToken cancellationToken)
    {
        await using var snapshot = await source.Connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        var changes = await ChangedKeysAsync(snapshot, applied: false, cancellationToken);
        if (changes.Sequences.Count == 0)
        {
            await snapshot.CommitAsync(cancellationToken);
            return 0;
        }

        await using (var write = await target.Connection.BeginTransactionAsync(cancellationToken))
        {
            var columns = new Dictionary<string, IReadOnlyList<string>>();
            foreach (var table in tables.Where(changes.Keys.ContainsKey))
            {
                columns[table] = (await source.ColumnsAsync(table, cancellationToken, snapshot)).Where(c => !c.IsGenerated).Select(c => c.Name).ToList();
                var stage = Sql.Id($"tt_stage_{table}");
                var list = string.Join(", ", columns[table].Select(Sql.Id));
                await Sql.ExecuteAsync(target.Connection,
                    $"CREATE TEMP TABLE {stage} ON COMMIT DROP AS SELECT {list} FROM {target.Table(table)} WITH NO DATA", cancellationToken, write);
                await source.CopyToAsync(target.Connection, $"pg_temp.{stage}", table, columns[table], cancellationToken, changes.Keys[table]);
            }
            foreach (var table in tables.Reverse().Where(changes.Keys.ContainsKey))
            {
                await using var delete = new NpgsqlCommand(
                    $"DELETE FROM {target.Table(table)} t WHERE t.tenant_id = $1 AND t.id = ANY($2) AND NOT EXISTS (SELECT FROM pg_temp.{Sql.Id($"tt_stage_{table}")} s WHERE s.id = t.id)",
                    target.Connection, write);
                delete.Parameters.Add(new NpgsqlParameter { Value = target.TenantId });
                delete.Parameters.Add(new NpgsqlParameter { Value = changes.Keys[table].ToArray() });
                await delete.ExecuteNonQueryAsync(cancellationToken);
            }
            foreach (var table in tables.Where(changes.Keys.ContainsKey))
            {
                var list = string.Join(", ", columns[table].Select(Sql.Id));
                var updates = string.Join(", ", columns[table].Where(c => c is not ("tenant_id" or "id")).Select(c => $"{Sql.Id(c)} = EXCLUDED.{Sql.Id(c)}"));
                await Sql.ExecuteAsync(target.Connection, $"""
                    INSERT INTO {target.Table(table)} ({list}) SELECT {list} FROM pg_temp.{Sql.Id($"tt_stage_{table}")}
                    ON CONFLICT (tenant_id, id) DO UPDATE SET {updates}
                    """, cancellationToken, write);
            }
            await write.CommitAsync(cancellationToken);
        }
        await snapshot.CommitAsync(cancellationToken);

        // Marked only once the target has them: a crash in between applies them again, harmlessly.
        await using var mark = new NpgsqlCommand("UPDATE tt_move.changes SET applied = true WHERE seq = ANY($1)", source.Connection);
        mark.Parameters.Add(new NpgsqlParameter { Value = changes.Sequences.ToArray() });
        await mark.ExecuteNonQueryAsync(cancellationToken);
        return changes.Keys.Values.Sum(keys => (long)keys.Count);
    }

    /// <summary>Every key captured so far (applied or not), per table: the rows that changed since the bulk copy's snapshot.</summary>
    public async Task<IReadOnlyDictionary<string, HashSet<Guid>>> AllChangedKeysAsync(CancellationToken cancellationToken) =>
        (await ChangedKeysAsync(null, applied: null, cancellationToken)).Keys;

    private async Task<(List<long> Sequences, Dictionary<string, HashSet<Guid>> Keys)> ChangedKeysAsync(NpgsqlTransaction? transaction, bool? applied,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT seq, table_name, id FROM tt_move.changes WHERE operation_id = $1" + (applied is false ? " AND NOT applied" : ""),
            source.Connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = operationId });
        var sequences = new List<long>();
        var keys = new Dictionary<string, HashSet<Guid>>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            sequences.Add(reader.GetInt64(0));
            var table = reader.GetString(1);
            if (!keys.TryGetValue(table, out var ids))
            {
                keys[table] = ids = [];
            }
            ids.Add(reader.GetGuid(2));
        }
        return (sequences, keys);
    }
}
