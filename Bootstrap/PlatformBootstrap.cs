using Microsoft.Extensions.Options;
using Npgsql;
using TieredTenancy.Tenancy.Storage;

namespace TieredTenancy.Bootstrap;

/// <summary>
/// The platform's roles and who owns what, set up as each server's superuser, so the services never
/// hold a superuser credential (roles and rights: docs/security.md). Idempotent: every start sets
/// the same rights and passwords again.
/// </summary>
public sealed class PlatformBootstrap(IConfiguration configuration, IOptions<TenantStorageOptions> storage, IOptions<BootstrapOptions> options,
    ILogger<PlatformBootstrap> logger)
{
    /// <summary>Set on the Provisioner's role once objects made by an earlier, superuser-run Provisioner have new owners.</summary>
    private const string OwnershipDone = "tt bootstrap: ownership v1";

    private readonly TenantStorageOptions _storage = storage.Value;
    private readonly BootstrapOptions _options = options.Value;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await PrepareMainServerAsync(ConnectionString(_storage.SharedServer), cancellationToken);
        foreach (var server in _storage.DedicatedServers)
        {
            await PrepareDedicatedServerAsync(ConnectionString(server), cancellationToken);
        }
        logger.LogInformation("Platform roles ready on the main server and {Count} dedicated server(s)", _storage.DedicatedServers.Count);
    }

    private async Task PrepareMainServerAsync(string superuser, CancellationToken cancellationToken)
    {
        var (owner, provisioner, app, resolver) = (Sql.Id(_storage.OwnerRole), Sql.Id(_storage.ProvisionerRole), Sql.Id(_storage.AppRole), Sql.Id(_storage.ResolverRole));
        var (catalog, tenants) = (Sql.Id(_options.CatalogDatabase), Sql.Id(_storage.SharedDatabase));
        await using var connection = await OpenAsync(superuser, "postgres", cancellationToken);
        await EnsureRolesAsync(connection, [_storage.OwnerRole, _storage.ProvisionerRole, _storage.AppRole, _storage.ResolverRole], cancellationToken);
        await Sql.ExecuteAsync(connection, $"""
            ALTER ROLE {owner} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
            -- BYPASSRLS: moves, exports and migrations read and write every tenant's rows in the shared tables (FORCE RLS).
            ALTER ROLE {provisioner} LOGIN INHERIT NOSUPERUSER NOCREATEDB CREATEROLE BYPASSRLS PASSWORD {Sql.Literal(_options.ProvisionerPassword)};
            GRANT {owner}, pg_signal_backend, pg_read_all_stats TO {provisioner};
            -- NOINHERIT: membership in a schema tenant's role allows SET ROLE, never its rights by default.
            ALTER ROLE {app} LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS PASSWORD {Sql.Literal(_options.AppPassword)};
            ALTER ROLE {resolver} LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS PASSWORD {Sql.Literal(_options.ResolverPassword)};
            """, cancellationToken);
        await EnsureDatabaseAsync(connection, _options.CatalogDatabase, _storage.ProvisionerRole, cancellationToken);
        await EnsureDatabaseAsync(connection, _storage.SharedDatabase, _storage.OwnerRole, cancellationToken);
        await Sql.ExecuteAsync(connection, $"""
            REVOKE ALL ON DATABASE postgres FROM PUBLIC;
            REVOKE ALL ON DATABASE {catalog} FROM PUBLIC;
            GRANT CONNECT ON DATABASE {catalog} TO {resolver};
            REVOKE ALL ON DATABASE {tenants} FROM PUBLIC;
            GRANT CONNECT ON DATABASE {tenants} TO {app};
            """, cancellationToken);

        if (!await OwnershipDoneAsync(connection, cancellationToken))
        {
            await ReassignAsync(superuser, _options.CatalogDatabase, _storage.ProvisionerRole, cancellationToken);
            await ReassignAsync(superuser, _storage.SharedDatabase, _storage.OwnerRole, cancellationToken);
            await MarkOwnershipDoneAsync(connection, cancellationToken);
        }
    }

    private async Task PrepareDedicatedServerAsync(string superuser, CancellationToken cancellationToken)
    {
        var (owner, provisioner) = (Sql.Id(_storage.OwnerRole), Sql.Id(_storage.ProvisionerRole));
        await using var connection = await OpenAsync(superuser, "postgres", cancellationToken);
        await EnsureRolesAsync(connection, [_storage.OwnerRole, _storage.TenantDatabaseRole, _storage.ProvisionerRole], cancellationToken);
        await Sql.ExecuteAsync(connection, $"""
            ALTER ROLE {owner} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
            ALTER ROLE {Sql.Id(_storage.TenantDatabaseRole)} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
            ALTER ROLE {provisioner} LOGIN INHERIT NOSUPERUSER CREATEDB CREATEROLE NOBYPASSRLS PASSWORD {Sql.Literal(_options.ProvisionerPassword)};
            GRANT {owner}, pg_signal_backend, pg_read_all_stats TO {provisioner};
            -- Tenant logins may open their own database only.
            REVOKE ALL ON DATABASE postgres FROM PUBLIC;
            GRANT CONNECT ON DATABASE postgres TO {provisioner};
            """, cancellationToken);

        if (!await OwnershipDoneAsync(connection, cancellationToken))
        {
            var databases = new List<string>();
            await using (var command = new NpgsqlCommand("SELECT datname FROM pg_database WHERE datallowconn AND datname NOT IN ('postgres', 'template1')", connection))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    databases.Add(reader.GetString(0));
                }
            }
            foreach (var database in databases)
            {
                await Sql.ExecuteAsync(connection, $"ALTER DATABASE {Sql.Id(database)} OWNER TO {owner}", cancellationToken);
                await ReassignAsync(superuser, database, _storage.OwnerRole, cancellationToken);
            }
            await MarkOwnershipDoneAsync(connection, cancellationToken);
        }
    }

    private static async Task EnsureRolesAsync(NpgsqlConnection connection, IEnumerable<string> roles, CancellationToken cancellationToken)
    {
        // Two bootstraps at once (two AppHosts on one kept data folder) must not race to create a role.
        await Sql.ExecuteAsync(connection, $"SELECT pg_advisory_lock({AdvisoryLocks.PlatformRoles})", cancellationToken);
        foreach (var role in roles)
        {
            await Sql.ExecuteAsync(connection, $"""
                DO $role$ BEGIN
                  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {Sql.Literal(role)}) THEN
                    CREATE ROLE {Sql.Id(role)} NOLOGIN;
                  END IF;
                END $role$;
                """, cancellationToken);
        }
    }

    private static async Task EnsureDatabaseAsync(NpgsqlConnection connection, string database, string owner, CancellationToken cancellationToken)
    {
        if (await Sql.ScalarAsync<int?>(connection, "SELECT 1 FROM pg_database WHERE datname = $1", cancellationToken, database) is null)
        {
            try
            {
                await Sql.ExecuteAsync(connection, $"CREATE DATABASE {Sql.Id(database)} OWNER {Sql.Id(owner)}", cancellationToken);
            }
            catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.DuplicateDatabase)
            {
                // Aspire's container resource created it at the same moment.
            }
        }
        await Sql.ExecuteAsync(connection, $"ALTER DATABASE {Sql.Id(database)} OWNER TO {Sql.Id(owner)}", cancellationToken);
    }

    /// <summary>
    /// Objects an earlier Provisioner made while it ran as the superuser get the owner they would get
    /// now. REASSIGN OWNED cannot do this: the bootstrap superuser also owns the system catalogs.
    /// </summary>
    private static async Task ReassignAsync(string superuser, string database, string newOwner, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(superuser, database, cancellationToken);
        await Sql.ExecuteAsync(connection, $$"""
            DO $owners$
            DECLARE
              target text := {{Sql.Literal(newOwner)}};
              item record;
            BEGIN
              FOR item IN
                SELECT n.nspname FROM pg_namespace n
                WHERE n.nspowner = current_user::text::regrole AND n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
              LOOP
                EXECUTE format('ALTER SCHEMA %I OWNER TO %I', item.nspname, target);
              END LOOP;
              FOR item IN
                SELECT c.oid::regclass AS name, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relowner = current_user::text::regrole AND n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
                  AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
                  -- A sequence that belongs to a column moves with its table.
                  AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))
              LOOP
                EXECUTE format('ALTER %s %s OWNER TO %I',
                  CASE item.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END,
                  item.name, target);
              END LOOP;
              FOR item IN
                SELECT p.oid::regprocedure AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE p.proowner = current_user::text::regrole AND n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
              LOOP
                EXECUTE format('ALTER ROUTINE %s OWNER TO %I', item.name, target);
              END LOOP;
              FOR item IN
                SELECT t.oid::regtype AS name, t.typtype FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                WHERE t.typowner = current_user::text::regrole AND t.typtype IN ('e', 'd', 'r') AND n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
              LOOP
                EXECUTE format('ALTER %s %s OWNER TO %I', CASE item.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, item.name, target);
              END LOOP;
            END
            $owners$;
            """, cancellationToken);
    }

    private async Task<bool> OwnershipDoneAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        await Sql.ScalarAsync<string?>(connection, "SELECT shobj_description(to_regrole($1), 'pg_authid')", cancellationToken, _storage.ProvisionerRole)
            == OwnershipDone;

    private Task MarkOwnershipDoneAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        Sql.ExecuteAsync(connection, $"COMMENT ON ROLE {Sql.Id(_storage.ProvisionerRole)} IS {Sql.Literal(OwnershipDone)}", cancellationToken);

    private static async Task<NpgsqlConnection> OpenAsync(string superuser, string database, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(Sql.ForDatabase(superuser, database));
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    private string ConnectionString(string server) =>
        configuration.GetConnectionString(server)
        ?? throw new InvalidOperationException($"ConnectionStrings:{server} is not configured; the AppHost passes each server's superuser login to the bootstrap only.");
}
