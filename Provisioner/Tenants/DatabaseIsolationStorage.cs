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
/// the owner role, with a login role of its own that can connect to it and nothing else (its
/// table rights come from the group role the template grants them to). The credentials are
/// stored encrypted; the server's address is not stored (it comes from Aspire). CREATE DATABASE
/// cannot run in a transaction, so a failure is undone step by step.
/// </summary>
public sealed class DatabaseIsolationStorage(
    TenantServers servers,
    TenantMigrations migrations,
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
        var database = Sql.Id(tenant.Placement.Database);
        var role = Sql.Id(tenant.Placement.Role!);
        var password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');

        await using (var admin = await servers.DedicatedAdmin(tenant.Placement.Server).OpenConnectionAsync(cancellationToken))
        {
            await Sql.ExecuteAsync(admin,
                $"CREATE ROLE {role} LOGIN INHERIT NOCREATEDB NOCREATEROLE CONNECTION LIMIT 100 IN ROLE {Sql.Id(_options.TenantDatabaseRole)} PASSWORD {Sql.Literal(password)}",
                cancellationToken);
            faults.At("database-role-created");
            // WAL_LOG (PostgreSQL 15's default) clones in tens of milliseconds; FILE_COPY can stall for seconds.
            await Sql.ExecuteAsync(admin, $"CREATE DATABASE {database} TEMPLATE {Sql.Id(_options.TemplateDatabase)} OWNER {Sql.Id(_options.OwnerRole)}", cancellationToken);
            faults.At("database-created");
            await Sql.ExecuteAsync(admin, $"REVOKE ALL ON DATABASE {database} FROM PUBLIC; GRANT CONNECT, TEMPORARY ON DATABASE {database} TO {role}", cancellationToken);
        }
        faults.At("database-granted");

        var fragment = new NpgsqlConnectionStringBuilder
        {
            Database = tenant.Placement.Database,
            Username = tenant.Placement.Role,
            Password = password,
        };
        tenant.Placement.ProtectedConnectionString = _protector.Protect(fragment.ConnectionString);
        // The template is brought to the latest migration at every start, before any clone.
        return migrations.LatestVersion;
    }

    public async Task RemoveAsync(Tenant tenant, CancellationToken cancellationToken)
    {
        await using var admin = await servers.DedicatedAdmin(tenant.Placement.Server).OpenConnectionAsync(cancellationToken);
        await Sql.ExecuteAsync(admin, $"DROP DATABASE IF EXISTS {Sql.Id(tenant.Placement.Database)} WITH (FORCE)", cancellationToken);
        await Sql.ExecuteAsync(admin, $"DROP ROLE IF EXISTS {Sql.Id(tenant.Placement.Role!)}", cancellationToken);
    }
}
