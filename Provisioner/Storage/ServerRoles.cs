using Npgsql;
using TieredTenancy.Tenancy.Storage;

namespace TieredTenancy.Provisioner.Storage;

/// <summary>The platform's own roles on a server: the owner of tenant tables, and the Api's login role.</summary>
public static class ServerRoles
{
    /// <summary>
    /// The shared server gets the owner and the Api's role; a dedicated server gets the owner and
    /// the group role of tenant logins.
    /// </summary>
    public static async Task EnsureAsync(NpgsqlConnection connection, TenantStorageOptions options, bool withAppRole, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Two Provisioner instances starting together must not race to create the same roles.
        await Sql.ExecuteAsync(connection, "SELECT pg_advisory_xact_lock(7301)", cancellationToken, transaction);
        await Sql.ExecuteAsync(connection, $"""
            DO $roles$ BEGIN
              IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {Sql.Literal(options.OwnerRole)}) THEN
                CREATE ROLE {Sql.Id(options.OwnerRole)} NOLOGIN;
              END IF;
              IF {(withAppRole ? "false" : "true")} AND NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {Sql.Literal(options.TenantDatabaseRole)}) THEN
                CREATE ROLE {Sql.Id(options.TenantDatabaseRole)} NOLOGIN;
              END IF;
            END $roles$;
            """, cancellationToken, transaction);
        if (withAppRole)
        {
            // NOINHERIT: membership in tenant roles only allows SET ROLE, never their rights by default.
            await Sql.ExecuteAsync(connection, $"""
                DO $roles$ BEGIN
                  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {Sql.Literal(options.AppRole)}) THEN
                    CREATE ROLE {Sql.Id(options.AppRole)} LOGIN;
                  END IF;
                END $roles$;
                ALTER ROLE {Sql.Id(options.AppRole)} WITH LOGIN NOINHERIT NOBYPASSRLS NOSUPERUSER NOCREATEDB NOCREATEROLE
                  PASSWORD {Sql.Literal(options.AppPassword)};
                """, cancellationToken, transaction);
        }
        await transaction.CommitAsync(cancellationToken);
    }
}
