using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using Npgsql;
using TieredTenancy.Provisioner.Storage;
using TieredTenancy.Tenancy.Plans;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Tenants;

/// <summary>
/// Database tier: a clone of the pre-migrated template on the chosen dedicated server, owned by
/// the owner role, with a login role of its own that can connect to it and nothing else. The
/// credentials are stored encrypted; the server's address is not stored (it comes from Aspire).
/// CREATE DATABASE cannot run in a transaction, so a failure is undone step by step.
/// </summary>
public sealed class DatabaseIsolationStorage(
    TenantServers servers,
    DedicatedPlacementPolicy placementPolicy,
    IDataProtectionProvider dataProtection,
    IOptions<TenantStorageOptions> options) : IIsolationStorage
{
    private readonly TenantStorageOptions _options = options.Value;
    private readonly IDataProtector _protector = dataProtection.CreateProtector(TenantConnectionProtection.Purpose);

    public IsolationKind Kind => IsolationKind.Database;

    public async Task<Placement> PlaceAsync(Guid tenantId, CancellationToken cancellationToken) =>
        new()
        {
            Server = await placementPolicy.ChooseServerAsync(cancellationToken),
            Database = TenantNames.Database(tenantId),
            Schema = "public",
            Role = TenantNames.DatabaseRole(tenantId),
        };

    public async Task<string> CreateAsync(Tenant tenant, ProvisioningFaults faults, CancellationToken cancellationToken)
    {
        var serverConnectionString = servers.DedicatedConnectionString(tenant.Placement.Server);
        var database = Sql.Id(tenant.Placement.Database);
        var role = Sql.Id(tenant.Placement.Role!);
        var owner = Sql.Id(_options.OwnerRole);
        var password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');

        await using (var admin = new NpgsqlConnection(Sql.ForDatabase(serverConnectionString, "postgres")))
        {
            await admin.OpenAsync(cancellationToken);
            await Sql.ExecuteAsync(admin,
                $"CREATE ROLE {role} LOGIN NOINHERIT NOCREATEDB NOCREATEROLE CONNECTION LIMIT 100 PASSWORD {Sql.Literal(password)}",
                cancellationToken);
            faults.At("database-role-created");
            // WAL_LOG (PostgreSQL 15's default) clones in tens of milliseconds; FILE_COPY can stall for seconds.
            await Sql.ExecuteAsync(admin, $"CREATE DATABASE {database} TEMPLATE {Sql.Id(_options.TemplateDatabase)} OWNER {owner}", cancellationToken);
            await Sql.ExecuteAsync(admin, $"REVOKE ALL ON DATABASE {database} FROM PUBLIC; GRANT CONNECT, TEMPORARY ON DATABASE {database} TO {role}", cancellationToken);
        }
        faults.At("database-created");

        string version;
        await using (var tenantDatabase = new NpgsqlConnection(Sql.ForDatabase(serverConnectionString, tenant.Placement.Database)))
        {
            await tenantDatabase.OpenAsync(cancellationToken);
            await Sql.ExecuteAsync(tenantDatabase, $"""
                REVOKE CREATE ON SCHEMA public FROM PUBLIC;
                GRANT USAGE ON SCHEMA public TO {role};
                GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role};
                REVOKE ALL ON public."__EFMigrationsHistory" FROM {role};
                ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role};
                """, cancellationToken);
            version = (await TenantMigrations.AppliedAsync(tenantDatabase, null, cancellationToken)).Max() ?? "";
        }
        faults.At("database-granted");

        var fragment = new NpgsqlConnectionStringBuilder
        {
            Database = tenant.Placement.Database,
            Username = tenant.Placement.Role,
            Password = password,
        };
        tenant.Placement.ProtectedConnectionString = _protector.Protect(fragment.ConnectionString);
        return version;
    }

    public async Task RemoveAsync(Tenant tenant, CancellationToken cancellationToken)
    {
        await using var admin = new NpgsqlConnection(Sql.ForDatabase(servers.DedicatedConnectionString(tenant.Placement.Server), "postgres"));
        await admin.OpenAsync(cancellationToken);
        await Sql.ExecuteAsync(admin, $"DROP DATABASE IF EXISTS {Sql.Id(tenant.Placement.Database)} WITH (FORCE)", cancellationToken);
        await Sql.ExecuteAsync(admin, $"DROP ROLE IF EXISTS {Sql.Id(tenant.Placement.Role!)}", cancellationToken);
    }
}
