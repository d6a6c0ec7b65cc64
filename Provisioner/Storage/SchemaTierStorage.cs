using Microsoft.Extensions.Options;
using Npgsql;
using TieredTenancy.Provisioner.Faults;
using TieredTenancy.Provisioner.Servers;
using TieredTenancy.Tenancy.Plans;
using TieredTenancy.Tenancy.Registry;
using TieredTenancy.Tenancy.Storage;

namespace TieredTenancy.Provisioner.Storage;

/// <summary>
/// Schema tier: schema <c>t_&lt;id&gt;</c> owned by the owner role, and a role of the same name with
/// rights on that schema only. The Api's role may SET ROLE to it (it is NOINHERIT, so it gets no
/// rights from the membership itself). Everything happens in one transaction: all or nothing.
/// </summary>
public sealed class SchemaTierStorage(
    TenantServers servers,
    StorageMigrations migrations,
    FaultInjection faults,
    IOptions<TenantStorageOptions> options) : ITierStorage
{
    private readonly TenantStorageOptions _options = options.Value;

    public IsolationKind Kind => IsolationKind.Schema;

    public bool HasOwnTarget => true;

    public Task<Placement> PlaceAsync(Guid tenantId, string? server, CancellationToken cancellationToken) =>
        Task.FromResult(new Placement
        {
            Server = servers.SharedServer,
            Database = servers.SharedDatabase,
            Schema = TenantNames.Schema(tenantId),
            Role = TenantNames.SchemaRole(tenantId),
        });

    public async Task<string> CreateAsync(Guid tenantId, Placement placement, string? version, CancellationToken cancellationToken)
    {
        var schema = Sql.Id(placement.Schema);
        var role = Sql.Id(placement.Role!);
        var owner = Sql.Id(_options.OwnerRole);

        await using var connection = await servers.ConnectSharedAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await Sql.ExecuteAsync(connection, $"""
            CREATE ROLE {role} NOLOGIN;
            CREATE SCHEMA {schema} AUTHORIZATION {owner};
            GRANT USAGE ON SCHEMA {schema} TO {role};
            ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role};
            """, cancellationToken, transaction);
        faults.At("schema-created");

        var steps = migrations.StepsThrough(version);
        await Sql.ExecuteAsync(connection, migrations.NewTargetScript(placement.Schema, _options.OwnerRole, steps) + $"""

            REVOKE ALL ON {schema}."__EFMigrationsHistory" FROM {role};
            GRANT {role} TO {Sql.Id(_options.AppRole)};
            """, cancellationToken, transaction);
        faults.At("schema-migrated");

        await transaction.CommitAsync(cancellationToken);
        return steps[^1].Id;
    }

    public async Task RemoveAsync(Guid tenantId, Placement placement, CancellationToken cancellationToken)
    {
        var role = placement.Role!;
        await using var connection = await servers.ConnectSharedAsync(cancellationToken);
        await Sql.ExecuteAsync(connection, $"""
            DROP SCHEMA IF EXISTS {Sql.Id(placement.Schema)} CASCADE;
            DO $drop$ BEGIN
              IF EXISTS (SELECT FROM pg_roles WHERE rolname = {Sql.Literal(role)}) THEN
                -- DROP OWNED needs the role's privileges, which a CREATEROLE login (not a superuser) takes by membership.
                EXECUTE format('GRANT %I TO %I', {Sql.Literal(role)}, current_user);
                EXECUTE 'DROP OWNED BY {Sql.Id(role).Replace("'", "''")}';
                EXECUTE 'DROP ROLE {Sql.Id(role).Replace("'", "''")}';
              END IF;
            END $drop$;
            """, cancellationToken);
    }

    public Task<NpgsqlConnection> ConnectAsync(Placement placement, CancellationToken cancellationToken) =>
        servers.ConnectSharedAsync(cancellationToken);
}
