using Microsoft.Extensions.Options;
using TieredTenancy.Tenancy.Capacity;
using TieredTenancy.Tenancy.Plans;
using TieredTenancy.Tenancy.Storage;

namespace TieredTenancy.Provisioner.Storage;

/// <summary>
/// Each tier's statement and idle-in-transaction timeouts, kept as settings of the login roles the
/// Api connects with, so PostgreSQL applies them to every session from its start and no query text
/// can lift them: <c>tt_app</c> for the shared database (row and schema tiers), each tenant login on
/// the dedicated servers. The Provisioner's own role has none (moves and migrations run long on purpose).
/// </summary>
public sealed class TierTimeouts(IOptions<CapacityOptions> capacity, IOptions<TenantStorageOptions> storage)
{
    private readonly CapacityOptions _capacity = capacity.Value;

    /// <summary>The settings of one login role, as ALTER ROLE statements.</summary>
    public string RoleSql(string role, IsolationKind isolation) =>
        $"ALTER ROLE {Sql.Id(role)} SET statement_timeout = {Milliseconds(_capacity.StatementTimeout(isolation))}; "
        + $"ALTER ROLE {Sql.Id(role)} SET idle_in_transaction_session_timeout = {Milliseconds(_capacity.IdleInTransactionTimeout)};";

    /// <summary>The shared database's login (row and schema tiers).</summary>
    public string SharedSql() => RoleSql(storage.Value.AppRole, IsolationKind.Row);

    /// <summary>
    /// Every tenant login on a dedicated server whose settings differ from the configured ones (logins
    /// made before, or under other settings), so a changed setting reaches every tenant at the next start.
    /// </summary>
    public string DedicatedLoginsSql()
    {
        var statement = Milliseconds(_capacity.DedicatedStatementTimeout);
        var idle = Milliseconds(_capacity.IdleInTransactionTimeout);
        return $"""
            DO $timeouts$ DECLARE login name; BEGIN
              FOR login IN
                SELECT m.rolname FROM pg_roles m
                JOIN pg_auth_members a ON a.member = m.oid JOIN pg_roles g ON g.oid = a.roleid
                WHERE g.rolname = {Sql.Literal(storage.Value.TenantDatabaseRole)} AND m.rolcanlogin
                  AND NOT coalesce(m.rolconfig, ARRAY[]::text[]) @> ARRAY['statement_timeout={statement}', 'idle_in_transaction_session_timeout={idle}']
              LOOP
                EXECUTE format('ALTER ROLE %I SET statement_timeout = {statement}', login);
                EXECUTE format('ALTER ROLE %I SET idle_in_transaction_session_timeout = {idle}', login);
              END LOOP;
            END $timeouts$;
            """;
    }

    private static long Milliseconds(TimeSpan timeout) => (long)timeout.TotalMilliseconds;
}
