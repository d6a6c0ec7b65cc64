using TieredTenancy.Provisioner.Broadcast;
using TieredTenancy.Provisioner.Operations;
using TieredTenancy.Provisioner.Servers;
using Microsoft.Extensions.Options;
using Npgsql;
using TieredTenancy.Provisioner.Storage;
using TieredTenancy.Provisioner.Tenants;
using TieredTenancy.Tenancy.Registry;
using TieredTenancy.Tenancy.Storage;

namespace TieredTenancy.Provisioner.Migrations;

/// <summary>What became of one planned target.</summary>
public enum TargetOutcome { Succeeded, Failed, Busy }

/// <summary>
/// Migrates one planned target in its own transaction with a lock timeout, while a catalog
/// transaction holds the tenant's migration lock (which starting a move also takes), checks that no
/// other operation runs on it, and commits the new version only after the target's did. After a crash
/// in between, the next try finds the steps in the target's history and applies nothing twice.
/// </summary>
public sealed class TargetMigrator(
    TenantServers servers,
    StorageMigrations migrations,
    RegistryBroadcast broadcast,
    IOptions<TenantStorageOptions> storageOptions,
    IOptions<MigrationOptions> options,
    ILogger<TargetMigrator> logger)
{
    private readonly MigrationOptions _options = options.Value;
    private readonly TenantStorageOptions _storage = storageOptions.Value;

    /// <param name="catalog">This worker's own catalog connection.</param>
    /// <param name="shared">This worker's connection to the shared tenant database, reused for every target there.</param>
    /// <param name="attempt">The fleet migration's attempt: a superseded one is refused before it touches the target, and its new version never commits.</param>
    public async Task<(TargetOutcome Outcome, string? Detail)> MigrateAsync(NpgsqlConnection catalog, NpgsqlConnection? shared, OperationAttempt attempt,
        TargetMigration planned, CancellationToken cancellationToken)
    {
        await using var hold = await catalog.BeginTransactionAsync(cancellationToken);
        await attempt.HoldFenceAsync(catalog, hold, cancellationToken);
        if (await BusyWithAsync(catalog, hold, planned, cancellationToken) is { } busy)
        {
            await hold.RollbackAsync(cancellationToken);
            return (TargetOutcome.Busy, busy);
        }
        var target = await CurrentTargetAsync(catalog, hold, planned, cancellationToken);
        if (target is null)
        {
            // The tenant moved to the shared tables (migrated as their own target) or is gone: nothing of its own is left.
            await RecordAsync(catalog, hold, planned, null, TargetMigrationState.Succeeded, 0, "The tenant has no storage of its own any more.", cancellationToken);
            await hold.CommitAsync(cancellationToken);
            return (TargetOutcome.Succeeded, null);
        }

        string? error = null;
        var attempts = 0;
        while (attempts < _options.Attempts)
        {
            attempts++;
            try
            {
                await ApplyAsync(target, shared, planned.ToVersion, cancellationToken);
                error = null;
                break;
            }
            catch (PostgresException exception) when (exception.SqlState is PostgresErrorCodes.LockNotAvailable or PostgresErrorCodes.DeadlockDetected)
            {
                error = $"{exception.SqlState}: {exception.MessageText}";
                await Task.Delay(200 * attempts, cancellationToken);
            }
            catch (Exception exception) when (exception is PostgresException or NpgsqlException)
            {
                error = exception is PostgresException postgres ? $"{postgres.SqlState}: {postgres.MessageText}" : exception.Message;
                break;
            }
        }

        var state = error is null ? TargetMigrationState.Succeeded : TargetMigrationState.Failed;
        await RecordAsync(catalog, hold, planned, error is null ? target : null, state, attempts, error, cancellationToken);
        await hold.CommitAsync(cancellationToken);
        if (error is not null)
        {
            logger.LogWarning("Migrating {Kind} {Server}/{Database}/{Schema} to {Version} failed after {Attempts} attempt(s): {Error}",
                target.Kind, target.Server, target.Database, target.Schema, planned.ToVersion, attempts, error);
            return (TargetOutcome.Failed, error);
        }
        await BroadcastAsync(target);
        return (TargetOutcome.Succeeded, null);
    }

    /// <summary>Why the target must wait (another operation holds its tenant, or a move uses the shared tables); null when it may go.</summary>
    private static async Task<string?> BusyWithAsync(NpgsqlConnection catalog, NpgsqlTransaction hold, TargetMigration planned, CancellationToken cancellationToken)
    {
        if (planned.Kind == StorageTargetKind.Template)
        {
            return null;
        }
        await using var check = planned.TenantId is { } tenantId
            ? new NpgsqlCommand($"""
                SELECT CASE WHEN NOT pg_try_advisory_xact_lock({AdvisoryLocks.TenantStorageWork}, hashtext($1::text)) THEN 'a move of the tenant is starting'
                  ELSE (SELECT 'operation ' || id || ' (' || lower(kind) || ') runs on the tenant' FROM operations
                        WHERE tenant_id = $1 AND status IN ('Pending', 'Running') LIMIT 1) END
                """, catalog, hold) { Parameters = { new() { Value = tenantId } } }
            // The shared tables change under a move to or from the row tier: wait until no move runs.
            : new NpgsqlCommand("""
                SELECT 'operation ' || id || ' (a move) runs' FROM operations WHERE kind = 'Move' AND status IN ('Pending', 'Running') LIMIT 1
                """, catalog, hold);
        return await check.ExecuteScalarAsync(cancellationToken) as string;
    }

    /// <summary>The target as the catalog has it now; a tenant that moved since the plan is migrated where it is now.</summary>
    private static async Task<StorageTarget?> CurrentTargetAsync(NpgsqlConnection catalog, NpgsqlTransaction hold, TargetMigration planned,
        CancellationToken cancellationToken)
    {
        await using var find = new NpgsqlCommand("""
            SELECT id, kind, server, database, schema, tenant_id, migration_version FROM storage_targets
            WHERE id = $1 OR ($2::uuid IS NOT NULL AND tenant_id = $2)
            ORDER BY (id = $1) DESC LIMIT 1
            """, catalog, hold);
        find.Parameters.Add(new NpgsqlParameter { Value = planned.TargetId });
        find.Parameters.Add(new NpgsqlParameter { Value = (object?)planned.TenantId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        await using var reader = await find.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }
        return new StorageTarget
        {
            Id = reader.GetGuid(0),
            Kind = Enum.Parse<StorageTargetKind>(reader.GetString(1)),
            Server = reader.GetString(2),
            Database = reader.GetString(3),
            Schema = reader.GetString(4),
            TenantId = reader.IsDBNull(5) ? null : reader.GetGuid(5),
            MigrationVersion = reader.GetString(6),
        };
    }

    /// <summary>The target's own transaction: its lock timeout, the steps up or down, and the shared tables' RLS for anything new.</summary>
    private async Task ApplyAsync(StorageTarget target, NpgsqlConnection? shared, string version, CancellationToken cancellationToken)
    {
        var own = target.Server == servers.SharedServer ? null : await OpenAsync(target, cancellationToken);
        try
        {
            var connection = own ?? shared ?? throw new InvalidOperationException("A shared-database target needs the worker's shared connection.");
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            // A step's DDL grows with the rows under it (an index over every row tenant's tasks), so it is not held to the attempt's
            // statement timeout: it runs while the attempt's fence is held (the caller's hold), and a newer attempt ends its backend first.
            await Sql.ExecuteAsync(connection, $"SET LOCAL lock_timeout = {(int)_options.LockTimeout.TotalMilliseconds}; SET LOCAL statement_timeout = 0",
                cancellationToken, transaction);
            await migrations.ApplyAsync(connection, transaction, target.Schema, _storage.OwnerRole, version, cancellationToken);
            if (target.Kind == StorageTargetKind.SharedTables)
            {
                await Sql.ExecuteAsync(connection, RowLevelSecurity.ApplySql(target.Schema, _storage.AppRole), cancellationToken, transaction);
            }
            await transaction.CommitAsync(cancellationToken);
        }
        finally
        {
            if (own is not null)
            {
                await own.DisposeAsync();
            }
        }
    }

    /// <summary>A tenant database or a template: its own short connection (unpooled: nobody may stay connected to a template).</summary>
    private async Task<NpgsqlConnection> OpenAsync(StorageTarget target, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(Sql.ForDatabase(servers.DedicatedConnectionString(target.Server), target.Database));
        await connection.OpenAsync(cancellationToken);
        await SessionLabel.ApplyAsync(connection, cancellationToken);
        return connection;
    }

    private static async Task RecordAsync(NpgsqlConnection catalog, NpgsqlTransaction hold, TargetMigration planned, StorageTarget? migrated,
        TargetMigrationState state, int attempts, string? error, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(catalog, hold);
        if (migrated is not null)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("UPDATE storage_targets SET migration_version = $1, updated_at = now() WHERE id = $2")
            {
                Parameters = { new() { Value = planned.ToVersion }, new() { Value = migrated.Id } },
            });
        }
        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            UPDATE target_migrations SET state = $1, attempts = attempts + $2, error = $3, finished_at = now()
            WHERE operation_id = $4 AND target_id = $5
            """)
        {
            Parameters =
            {
                new() { Value = state.ToString() },
                new() { Value = attempts },
                new() { Value = (object?)error ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text },
                new() { Value = planned.OperationId },
                new() { Value = planned.TargetId },
            },
        });
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The Api replicas drop what they cached about the tenants served from the target, which now has another shape.</summary>
    private Task BroadcastAsync(StorageTarget target) => target switch
    {
        { TenantId: { } tenantId } => broadcast.TenantChangedAsync(tenantId),
        { Kind: StorageTargetKind.SharedTables } => broadcast.PlacementChangedAsync(target.Server, target.Database, target.Schema),
        _ => Task.CompletedTask,
    };
}
