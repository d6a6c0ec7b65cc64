using Npgsql;
using TieredTenancy.Tenancy.Isolation;
using TieredTenancy.Tenancy.Storage;

namespace TieredTenancy.Provisioner.Storage;

/// <summary>
/// Installs and writes the placement fence (see <see cref="PlacementFence"/>) in a database that
/// holds tenant placements: the shared tenant database, the template, every tenant database.
/// </summary>
public static class PlacementFences
{
    /// <summary>Marks the installed version, so an install finds it done without touching anything.</summary>
    private const string Version = "tt placement fence v1";

    /// <summary>The fence table: the platform's, not tenant data, though it has a <c>tenant_id</c>.</summary>
    public const string Table = "tt_placement_fences";

    /// <summary>
    /// Takes back any right on the fence table a role got by a grant over all tables (an earlier start
    /// granted the tenant roles every table), and the row-level security such a start put on it. Each
    /// change only when there is one to make: the table is read by every tenant command.
    /// </summary>
    public static string LockDownSql(string role) => $"""
        DO $lockdown$
        BEGIN
          IF to_regclass('public.{Table}') IS NULL THEN
            RETURN;
          END IF;
          IF has_table_privilege({Sql.Literal(role)}, 'public.{Table}', 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER') THEN
            REVOKE ALL ON public.{Table} FROM {Sql.Id(role)};
          END IF;
          IF EXISTS (SELECT FROM pg_class WHERE oid = 'public.{Table}'::regclass AND (relrowsecurity OR relforcerowsecurity)) THEN
            DROP POLICY IF EXISTS tenant_isolation ON public.{Table};
            ALTER TABLE public.{Table} NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
          END IF;
        END
        $lockdown$;
        """;

    /// <summary>
    /// Idempotent, run as a role that may create in schema public; the objects are owned by the owner
    /// role. Where this version is installed already it changes nothing: ALTER TABLE would lock the
    /// fence table that every tenant command reads, so a restart under load must not touch it.
    /// </summary>
    // Every name inside tt_enter is schema-qualified, so it needs no SET search_path clause, which
    // would cost a configuration save and restore on every tenant command.
    public static string InstallSql(string ownerRole) => $"""
        DO $install$
        BEGIN
          IF obj_description(to_regprocedure('public.tt_enter(uuid,bigint,boolean)'), 'pg_proc') IS NOT DISTINCT FROM {Sql.Literal(Version)} THEN
            RETURN;
          END IF;
          CREATE TABLE IF NOT EXISTS public.tt_placement_fences (
            tenant_id uuid PRIMARY KEY,
            refused_through_epoch bigint NOT NULL,
            fenced_at timestamptz NOT NULL DEFAULT now()
          );
          ALTER TABLE public.tt_placement_fences OWNER TO {Sql.Id(ownerRole)};
          REVOKE ALL ON public.tt_placement_fences FROM PUBLIC;
          CREATE OR REPLACE FUNCTION public.tt_enter(p_tenant uuid, p_epoch bigint, p_writes boolean) RETURNS bigint
          LANGUAGE plpgsql SECURITY DEFINER AS $tt_enter$
          BEGIN
            IF p_writes THEN
              PERFORM pg_catalog.pg_advisory_xact_lock_shared({AdvisoryLocks.TenantWrites}, pg_catalog.hashtext(p_tenant::text));
            END IF;
            IF EXISTS (SELECT 1 FROM public.tt_placement_fences f WHERE f.tenant_id = p_tenant AND f.refused_through_epoch >= p_epoch) THEN
              RAISE EXCEPTION 'tenant % is no longer served from this placement at epoch %: it moved', p_tenant, p_epoch
                USING ERRCODE = '{PlacementFence.RetiredSqlState}';
            END IF;
            RETURN p_epoch;
          END
          $tt_enter$;
          ALTER FUNCTION public.tt_enter(uuid, bigint, boolean) OWNER TO {Sql.Id(ownerRole)};
          REVOKE ALL ON FUNCTION public.tt_enter(uuid, bigint, boolean) FROM PUBLIC;
          GRANT EXECUTE ON FUNCTION public.tt_enter(uuid, bigint, boolean) TO PUBLIC;
          COMMENT ON FUNCTION public.tt_enter(uuid, bigint, boolean) IS {Sql.Literal(Version)};
        END
        $install$;
        """;

    /// <summary>From now on this database refuses the tenant at every epoch up to <paramref name="epoch"/>.</summary>
    public static async Task RetireAsync(NpgsqlConnection connection, Guid tenantId, long epoch, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            INSERT INTO public.tt_placement_fences (tenant_id, refused_through_epoch) VALUES ($1, $2)
            ON CONFLICT (tenant_id) DO UPDATE
              SET refused_through_epoch = GREATEST(tt_placement_fences.refused_through_epoch, EXCLUDED.refused_through_epoch), fenced_at = now()
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = epoch });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The time of this database's clock, for comparing with its transactions' start times.</summary>
    public static async Task<DateTimeOffset> ClockAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        (await Sql.ScalarAsync<DateTime>(connection, "SELECT clock_timestamp()", cancellationToken)).ToUniversalTime();

    /// <summary>
    /// Waits (at most <paramref name="maxWait"/>) until every transaction that began in this database
    /// before <paramref name="fencedAt"/> has ended: a request that entered the placement just before
    /// its fence may still be reading it, and must not find it half removed.
    /// </summary>
    public static async Task<bool> DrainAsync(NpgsqlConnection connection, DateTimeOffset fencedAt, TimeSpan maxWait, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + maxWait;
        while (true)
        {
            await using var command = new NpgsqlCommand("""
                SELECT count(*) FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend' AND xact_start < $1
                """, connection);
            command.Parameters.Add(new NpgsqlParameter { Value = fencedAt });
            if ((long)(await command.ExecuteScalarAsync(cancellationToken))! == 0)
            {
                return true;
            }
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }
            await Task.Delay(50, cancellationToken);
        }
    }

    /// <summary>The tenant's write lock, taken exclusive for the session: the freeze of a move.</summary>
    public static async Task FreezeWritesAsync(NpgsqlConnection connection, Guid tenantId, TimeSpan wait, CancellationToken cancellationToken)
    {
        // Writers hold the lock shared only for their transaction; waiting longer than this means one is stuck.
        await Sql.ExecuteAsync(connection, $"SET lock_timeout = {(int)wait.TotalMilliseconds}", cancellationToken);
        await using var command = new NpgsqlCommand($"SELECT pg_advisory_lock({AdvisoryLocks.TenantWrites}, hashtext($1::text))", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        await command.ExecuteNonQueryAsync(cancellationToken);
        await Sql.ExecuteAsync(connection, "RESET lock_timeout", cancellationToken);
    }

    /// <summary>
    /// Whether the freeze's session still holds the tenant's write lock. A session lock is lost only
    /// with its session, so holding it now means it was held since it was taken.
    /// </summary>
    public static async Task<bool> HoldsFreezeAsync(NpgsqlConnection connection, Guid tenantId, CancellationToken cancellationToken)
    {
        try
        {
            await using var command = new NpgsqlCommand($"""
                SELECT EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted AND mode = 'ExclusiveLock'
                  AND classid = {AdvisoryLocks.TenantWrites}::oid AND objid = hashtext($1::text)::oid AND objsubid = 2)
                """, connection);
            command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
        }
        catch (Exception exception) when (exception is NpgsqlException or InvalidOperationException && SessionGone(connection))
        {
            return false;
        }
    }

    /// <summary>Ends the freeze. A freeze whose session is gone (killed, or this process's connection broken) has ended already.</summary>
    public static async Task ThawWritesAsync(NpgsqlConnection connection, Guid tenantId, CancellationToken cancellationToken)
    {
        try
        {
            await using var command = new NpgsqlCommand($"SELECT pg_advisory_unlock({AdvisoryLocks.TenantWrites}, hashtext($1::text))", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is NpgsqlException or InvalidOperationException && SessionGone(connection))
        {
        }
    }

    private static bool SessionGone(NpgsqlConnection connection) =>
        connection.FullState.HasFlag(System.Data.ConnectionState.Broken) || connection.State == System.Data.ConnectionState.Closed;
}
