using Microsoft.Extensions.Options;
using Npgsql;
using TieredTenancy.Provisioner.Faults;
using TieredTenancy.Provisioner.Servers;
using TieredTenancy.Tenancy.Plans;
using TieredTenancy.Tenancy.Registry;
using TieredTenancy.Tenancy.Storage;

namespace TieredTenancy.Provisioner.Storage;

/// <summary>
/// Database tier: a clone of the pre-migrated template on a dedicated server, owned by the owner
/// role, with a login role of its own that can connect to it and nothing else (its table rights
/// come from the group role the template grants them to). The credentials are stored encrypted;
/// the server's address is not stored (it comes from Aspire). CREATE DATABASE cannot run in a
/// transaction, so a failure is undone step by step.
/// </summary>
public sealed class DatabaseTierStorage(
    TenantServers servers,
    StorageMigrations migrations,
    StorageVersions versions,
    DedicatedPlacementPolicy placementPolicy,
    FaultInjection faults,
    TenantLogins logins,
    IOptions<TenantStorageOptions> options) : ITierStorage
{
    private readonly TenantStorageOptions _options = options.Value;

    public IsolationKind Kind => IsolationKind.Database;

    public bool HasOwnTarget => true;

    public async Task<Placement> PlaceAsync(Guid tenantId, string? server, CancellationToken cancellationToken) =>
        new()
        {
            Server = server ?? await placementPolicy.ChooseServerAsync(cancellationToken),
            Database = TenantNames.Database(tenantId),
            Schema = "public",
            Role = TenantNames.DatabaseRole(tenantId),
        };

    public async Task<string> CreateAsync(Guid tenantId, Placement placement, string? version, CancellationToken cancellationToken)
    {
        var database = Sql.Id(placement.Database);
        var password = TenantLogins.NewPassword();
        // A clone of the template, then stepped up or down to the version wanted (nothing to do when the template is at it).
        var wanted = version ?? migrations.LatestVersion;
        var templateVersion = await versions.TemplateAsync(placement.Server, cancellationToken) ?? migrations.LatestVersion;

        await using (var admin = await servers.OpenDedicatedAdminAsync(placement.Server, cancellationToken))
        {
            await logins.CreateAsync(admin, placement.Role!, password, cancellationToken);
            faults.At("database-role-created");
            await CloneTemplateAsync(admin, database, cancellationToken);
        }
        if (templateVersion != wanted)
        {
            await using var fresh = await ConnectAsync(placement, cancellationToken);
            await PrepareAsync(fresh, wanted, cancellationToken);
        }
        faults.At("database-created");
        await using (var admin = await servers.OpenDedicatedAdminAsync(placement.Server, cancellationToken))
        {
            await Sql.ExecuteAsync(admin, $"REVOKE ALL ON DATABASE {database} FROM PUBLIC", cancellationToken);
            await TenantLogins.GrantAsync(admin, placement.Database, placement.Role!, cancellationToken);
        }
        faults.At("database-granted");

        placement.ProtectedConnectionString = logins.Protect(placement.Database, placement.Role!, password);
        return wanted;
    }

    /// <summary>
    /// WAL_LOG (PostgreSQL 15's default) clones in tens of milliseconds; FILE_COPY can stall for
    /// seconds. Cloning fails while anyone is connected to the template, which a fleet migration
    /// is for a moment: that is waited out.
    /// </summary>
    private async Task CloneTemplateAsync(NpgsqlConnection admin, string database, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await Sql.ExecuteAsync(admin, $"CREATE DATABASE {database} TEMPLATE {Sql.Id(_options.TemplateDatabase)} OWNER {Sql.Id(_options.OwnerRole)}",
                    cancellationToken);
                return;
            }
            catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.ObjectInUse && attempt < 50)
            {
                await Task.Delay(100, cancellationToken);
            }
        }
    }

    /// <summary>
    /// Brings a tenant database (or the template every tenant database is cloned from) to
    /// <paramref name="version"/> (latest when null), with the group role's table rights and the
    /// placement fence; returns the version it is at.
    /// </summary>
    public async Task<string> PrepareAsync(NpgsqlConnection connection, string? version, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var reached = await migrations.ApplyAsync(connection, transaction, "public", _options.OwnerRole, version, cancellationToken);
        // Table rights go to the group role once, here; every clone inherits them (and its default privileges).
        var group = Sql.Id(_options.TenantDatabaseRole);
        await Sql.ExecuteAsync(connection, $"""
            REVOKE CREATE ON SCHEMA public FROM PUBLIC;
            GRANT USAGE ON SCHEMA public TO {group};
            GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {group};
            REVOKE ALL ON public."__EFMigrationsHistory" FROM {group};
            ALTER DEFAULT PRIVILEGES FOR ROLE {Sql.Id(_options.OwnerRole)} IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {group};
            {PlacementFences.InstallSql(_options.OwnerRole)}
            {PlacementFences.LockDownSql(_options.TenantDatabaseRole)}
            """, cancellationToken, transaction);
        await transaction.CommitAsync(cancellationToken);
        return reached;
    }

    public async Task RemoveAsync(Guid tenantId, Placement placement, CancellationToken cancellationToken)
    {
        await using var admin = await servers.OpenDedicatedAdminAsync(placement.Server, cancellationToken);
        await Sql.ExecuteAsync(admin, $"DROP DATABASE IF EXISTS {Sql.Id(placement.Database)} WITH (FORCE)", cancellationToken);
        // Its first login and any a credential rotation left behind (a rotation stopped midway).
        var logins = new List<string>();
        await using (var command = new NpgsqlCommand("SELECT rolname FROM pg_roles WHERE rolname = $1 OR rolname = $2 OR rolname LIKE $3", admin))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = placement.Role! });
            command.Parameters.Add(new NpgsqlParameter { Value = TenantNames.DatabaseRole(tenantId) });
            command.Parameters.Add(new NpgsqlParameter { Value = TenantNames.DatabaseRolesLike(tenantId) });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                logins.Add(reader.GetString(0));
            }
        }
        foreach (var login in logins)
        {
            await Sql.ExecuteAsync(admin, $"DROP ROLE IF EXISTS {Sql.Id(login)}", cancellationToken);
        }
    }

    public async Task<NpgsqlConnection> ConnectAsync(Placement placement, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(Sql.ForDatabase(servers.DedicatedConnectionString(placement.Server), placement.Database));
        await connection.OpenLiveAsync(cancellationToken);
        await SessionLabel.ApplyAsync(connection, cancellationToken);
        return connection;
    }
}
