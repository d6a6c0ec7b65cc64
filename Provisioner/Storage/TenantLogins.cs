using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using Npgsql;
using TieredTenancy.Tenancy.Plans;
using TieredTenancy.Tenancy.Registry;
using TieredTenancy.Tenancy.Storage;

namespace TieredTenancy.Provisioner.Storage;

/// <summary>
/// A database-tier tenant's logins on its dedicated server: made, granted its one database, dropped,
/// and the credentials the registry keeps of them, encrypted. The database tier makes the first;
/// a credential rotation makes its successor and drops it.
/// </summary>
public sealed class TenantLogins(IDataProtectionProvider dataProtection, TierTimeouts timeouts, IOptions<TenantStorageOptions> options)
{
    private readonly TenantStorageOptions _options = options.Value;
    private readonly IDataProtector _protector = dataProtection.CreateProtector(TenantConnectionProtection.Purpose);

    /// <summary>A fresh random password for a tenant login (URL-safe base64 of 24 random bytes).</summary>
    public static string NewPassword() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');

    /// <summary>
    /// A tenant login: a member of the group role that holds the table rights, nothing else, with the
    /// database tier's timeouts. If it exists (a rerun after a crash), it gets this password.
    /// </summary>
    public async Task CreateAsync(NpgsqlConnection admin, string role, string password, CancellationToken cancellationToken)
    {
        var login = Sql.Id(role);
        await Sql.ExecuteAsync(admin, $"""
            DO $login$ BEGIN
              IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {Sql.Literal(role)}) THEN
                CREATE ROLE {login} LOGIN INHERIT NOCREATEDB NOCREATEROLE CONNECTION LIMIT 100 IN ROLE {Sql.Id(_options.TenantDatabaseRole)};
              END IF;
            END $login$;
            ALTER ROLE {login} LOGIN PASSWORD {Sql.Literal(password)};
            {timeouts.RoleSql(role, IsolationKind.Database)}
            """, cancellationToken);
    }

    /// <summary>The login may open its tenant's database (and only that one: CONNECT is revoked from PUBLIC).</summary>
    public static Task GrantAsync(NpgsqlConnection admin, string database, string role, CancellationToken cancellationToken) =>
        Sql.ExecuteAsync(admin, $"GRANT CONNECT, TEMPORARY ON DATABASE {Sql.Id(database)} TO {Sql.Id(role)}", cancellationToken);

    /// <summary>Removes a login that no longer serves its tenant (idempotent).</summary>
    public static async Task DropAsync(NpgsqlConnection admin, string database, string role, CancellationToken cancellationToken)
    {
        if (await Sql.ScalarAsync<int?>(admin, "SELECT 1 FROM pg_roles WHERE rolname = $1", cancellationToken, role) is null)
        {
            return;
        }
        if (await Sql.ScalarAsync<int?>(admin, "SELECT 1 FROM pg_database WHERE datname = $1", cancellationToken, database) is not null)
        {
            await Sql.ExecuteAsync(admin, $"REVOKE ALL ON DATABASE {Sql.Id(database)} FROM {Sql.Id(role)}", cancellationToken);
        }
        await Sql.ExecuteAsync(admin, $"DROP ROLE IF EXISTS {Sql.Id(role)}", cancellationToken);
    }

    /// <summary>What the registry keeps of a tenant's login: database, user and password, encrypted with the catalog's key ring.</summary>
    public string Protect(string database, string role, string password) =>
        _protector.Protect(new NpgsqlConnectionStringBuilder { Database = database, Username = role, Password = password }.ConnectionString);

    /// <summary>The database, user and password that <see cref="Protect"/> protected.</summary>
    public NpgsqlConnectionStringBuilder Unprotect(string protectedCredentials) => new(_protector.Unprotect(protectedCredentials));
}
