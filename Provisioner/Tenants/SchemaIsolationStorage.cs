using Microsoft.Extensions.Options;
using Npgsql;
using TieredTenancy.Provisioner.Storage;
using TieredTenancy.Tenancy.Plans;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Tenants;

/// <summary>
/// Schema tier: schema <c>t_&lt;id&gt;</c> owned by the owner role, and a role of the same name with
/// rights on that schema only. The Api's role may SET ROLE to it (it is NOINHERIT, so it gets no
/// rights from the membership itself). Everything happens in one transaction: all or nothing.
/// </summary>
public sealed class SchemaIsolationStorage(
    [FromKeyedServices("tenants")] NpgsqlDataSource sharedDatabase,
    TenantServers servers,
    TenantMigrations migrations,
    IOptions<TenantStorageOptions> options) : IIsolationStorage
{
    private readonly TenantStorageOptions _options = options.Value;

    public IsolationKind Kind => IsolationKind.Schema;

    public Task<Placement> PlaceAsync(Guid tenantId, CancellationToken cancellationToken) =>
        Task.FromResult(new Placement
        {
            Server = servers.SharedServer,
            Database = servers.SharedDatabase,
            Schema = TenantNames.Schema(tenantId),
            Role = TenantNames.SchemaRole(tenantId),
        });

    public async Task<string> CreateAsync(Tenant tenant, ProvisioningFaults faults, CancellationToken cancellationToken)
    {
        var schema = Sql.Id(TenantNames.Schema(tenant.Id));
        var role = Sql.Id(TenantNames.SchemaRole(tenant.Id));
        var owner = Sql.Id(_options.OwnerRole);

        await using var connection = await sharedDatabase.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await Sql.ExecuteAsync(connection, $"""
            CREATE ROLE {role} NOLOGIN;
            CREATE SCHEMA {schema} AUTHORIZATION {owner};
            GRANT USAGE ON SCHEMA {schema} TO {role};
            ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role};
            """, cancellationToken, transaction);
        faults.At("schema-created");

        await Sql.ExecuteAsync(connection, migrations.NewTargetScript(TenantNames.Schema(tenant.Id), _options.OwnerRole) + $"""

            REVOKE ALL ON {schema}."__EFMigrationsHistory" FROM {role};
            GRANT {role} TO {Sql.Id(_options.AppRole)};
            """, cancellationToken, transaction);
        faults.At("schema-migrated");

        await transaction.CommitAsync(cancellationToken);
        return migrations.LatestVersion;
    }

    public async Task RemoveAsync(Tenant tenant, CancellationToken cancellationToken)
    {
        var schema = TenantNames.Schema(tenant.Id);
        var role = TenantNames.SchemaRole(tenant.Id);
        await using var connection = await sharedDatabase.OpenConnectionAsync(cancellationToken);
        await Sql.ExecuteAsync(connection, $"""
            DROP SCHEMA IF EXISTS {Sql.Id(schema)} CASCADE;
            DO $drop$ BEGIN
              IF EXISTS (SELECT FROM pg_roles WHERE rolname = {Sql.Literal(role)}) THEN
                EXECUTE 'DROP OWNED BY {Sql.Id(role).Replace("'", "''")}';
                EXECUTE 'DROP ROLE {Sql.Id(role).Replace("'", "''")}';
              END IF;
            END $drop$;
            """, cancellationToken);
    }
}
