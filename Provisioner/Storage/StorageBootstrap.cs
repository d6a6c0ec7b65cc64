using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.Extensions.Options;
using Npgsql;
using TieredTenancy.Provisioner.Servers;
using TieredTenancy.Tenancy.Plans;
using TieredTenancy.Tenancy.Registry;
using TieredTenancy.Tenancy.Storage;

namespace TieredTenancy.Provisioner.Storage;

/// <summary>
/// Before the Provisioner serves anything: the catalog is migrated and seeded and the Api's catalog
/// role may read what resolution needs, the shared tables are migrated with RLS, the Api's logins
/// carry their tier's timeouts, each dedicated server has its template, and every database holding placements has the placement fence. The
/// roles themselves and the databases' owners are the bootstrap's (it ran before, as superuser).
/// </summary>
public sealed class StorageBootstrap(
    IServiceScopeFactory scopes,
    TenantServers servers,
    StorageMigrations migrations,
    TierTimeouts timeouts,
    IOptions<TenantStorageOptions> options,
    ILogger<StorageBootstrap> logger) : IHostedService
{
    private readonly TenantStorageOptions _options = options.Value;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var catalog = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
        await catalog.Database.MigrateAsync(cancellationToken);
        await SeedPlansAsync(catalog, cancellationToken);
        await GrantResolutionReadsAsync(catalog, cancellationToken);

        await PrepareSharedDatabaseAsync(catalog, cancellationToken);
        foreach (var server in servers.DedicatedServers)
        {
            await PrepareDedicatedServerAsync(catalog, scope.ServiceProvider.GetRequiredService<DatabaseTierStorage>(), server, cancellationToken);
        }

        logger.LogInformation("Tenant storage ready at migration {Version} on {Count} dedicated server(s)", migrations.LatestVersion, servers.DedicatedServers.Count);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static async Task SeedPlansAsync(CatalogDbContext catalog, CancellationToken cancellationToken)
    {
        var existing = await catalog.Plans.Select(plan => plan.Name).ToListAsync(cancellationToken);
        catalog.Plans.AddRange(SeedPlans.All.Where(plan => !existing.Contains(plan.Name)));
        await catalog.SaveChangesAsync(cancellationToken);
    }

    /// <summary>
    /// What the Api's tenant resolution reads, and nothing else: not the signing keys, operations or
    /// the audit trail, and of the API clients only which were revoked or rotated, never their names,
    /// roles or tenants (the secrets' hashes are OpenIddict's, in a table it cannot read at all). The key
    /// ring it reads is encrypted (see <see cref="CatalogKeyRing"/>).
    /// </summary>
    private async Task GrantResolutionReadsAsync(CatalogDbContext catalog, CancellationToken cancellationToken)
    {
        Type[] read = [typeof(Tenant), typeof(Plan), typeof(StorageTarget), typeof(DataProtectionKey)];
        var tables = string.Join(", ", read.Select(type => Sql.Id(catalog.Model.FindEntityType(type)!.GetTableName()!)));
        var clients = catalog.Model.FindEntityType(typeof(ApiClient))!;
        var clientsTable = StoreObjectIdentifier.Table(clients.GetTableName()!, clients.GetSchema());
        var revocationColumns = string.Join(", ", new[] { nameof(ApiClient.ClientId), nameof(ApiClient.Generation), nameof(ApiClient.RotatedAt), nameof(ApiClient.RevokedAt) }
            .Select(property => Sql.Id(clients.FindProperty(property)!.GetColumnName(clientsTable)!)));
        var resolver = Sql.Id(_options.ResolverRole);
        var grants = $"""
            GRANT USAGE ON SCHEMA public TO {resolver};
            GRANT SELECT ON {tables} TO {resolver};
            GRANT SELECT ({revocationColumns}) ON {Sql.Id(clientsTable.Name)} TO {resolver};
            """;
        await catalog.Database.ExecuteSqlRawAsync(grants, cancellationToken);
    }

    private async Task PrepareSharedDatabaseAsync(CatalogDbContext catalog, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(Sql.ForDatabase(servers.SharedDatabaseConnectionString, servers.SharedDatabase));
        await connection.OpenAsync(cancellationToken);
        await Sql.ExecuteAsync(connection, $"""
            GRANT USAGE, CREATE ON SCHEMA public TO {Sql.Id(_options.OwnerRole)};
            REVOKE CREATE ON SCHEMA public FROM PUBLIC;
            GRANT USAGE ON SCHEMA public TO {Sql.Id(_options.AppRole)};
            {timeouts.SharedSql()}
            """, cancellationToken);

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var version = await migrations.ApplyAsync(connection, transaction, "public", _options.OwnerRole, null, cancellationToken);
        await Sql.ExecuteAsync(connection, RowLevelSecurity.ApplySql("public", _options.AppRole), cancellationToken, transaction);
        await Sql.ExecuteAsync(connection, PlacementFences.InstallSql(_options.OwnerRole), cancellationToken, transaction);
        await Sql.ExecuteAsync(connection, PlacementFences.LockDownSql(_options.AppRole), cancellationToken, transaction);
        await transaction.CommitAsync(cancellationToken);
        await RecordTargetAsync(catalog, StorageTargetKind.SharedTables, servers.SharedServer, servers.SharedDatabase, "public", version, cancellationToken);
    }

    private async Task PrepareDedicatedServerAsync(CatalogDbContext catalog, DatabaseTierStorage databaseTier, string server, CancellationToken cancellationToken)
    {
        var serverConnectionString = servers.DedicatedConnectionString(server);
        await using (var admin = await servers.OpenDedicatedAdminAsync(server, cancellationToken))
        {
            // Tenant logins may open their own database only: not the template (the maintenance database is closed by the bootstrap).
            var exists = await Sql.ScalarAsync<int?>(admin, "SELECT 1 FROM pg_database WHERE datname = $1", cancellationToken, _options.TemplateDatabase);
            if (exists is null)
            {
                await Sql.ExecuteAsync(admin, $"CREATE DATABASE {Sql.Id(_options.TemplateDatabase)} OWNER {Sql.Id(_options.OwnerRole)}", cancellationToken);
            }
            await Sql.ExecuteAsync(admin, $"REVOKE CONNECT ON DATABASE {Sql.Id(_options.TemplateDatabase)} FROM PUBLIC", cancellationToken);
            await Sql.ExecuteAsync(admin, timeouts.DedicatedLoginsSql(), cancellationToken);
        }

        // Unpooled: nobody may stay connected to a template, or cloning it fails.
        string version;
        await using (var template = new NpgsqlConnection(Sql.ForDatabase(serverConnectionString, _options.TemplateDatabase)))
        {
            await template.OpenAsync(cancellationToken);
            version = await databaseTier.PrepareAsync(template, null, cancellationToken);
        }
        await InstallFencesInTenantDatabasesAsync(catalog, server, cancellationToken);
        await RecordTargetAsync(catalog, StorageTargetKind.Template, server, _options.TemplateDatabase, "public", version, cancellationToken);
    }

    /// <summary>
    /// Tenant databases made before the placement fence existed get it here, once; in a database that
    /// has it the install changes nothing. (Fleet migrations will carry platform objects like this one.)
    /// </summary>
    private async Task InstallFencesInTenantDatabasesAsync(CatalogDbContext catalog, string server, CancellationToken cancellationToken)
    {
        var databases = await catalog.StorageTargets.AsNoTracking()
            .Where(target => target.Kind == StorageTargetKind.TenantDatabase && target.Server == server)
            .Select(target => target.Database)
            .ToListAsync(cancellationToken);
        foreach (var database in databases)
        {
            await using var connection = new NpgsqlConnection(Sql.ForDatabase(servers.DedicatedConnectionString(server), database));
            await connection.OpenAsync(cancellationToken);
            await Sql.ExecuteAsync(connection, PlacementFences.InstallSql(_options.OwnerRole), cancellationToken);
        }
    }

    private static async Task RecordTargetAsync(CatalogDbContext catalog, StorageTargetKind kind, string server, string database, string schema,
        string version, CancellationToken cancellationToken)
    {
        var target = await catalog.StorageTargets.SingleOrDefaultAsync(
            t => t.Server == server && t.Database == database && t.Schema == schema, cancellationToken);
        if (target is null)
        {
            catalog.StorageTargets.Add(new StorageTarget { Kind = kind, Server = server, Database = database, Schema = schema, MigrationVersion = version });
        }
        else
        {
            target.MigrationVersion = version;
            target.UpdatedAt = DateTimeOffset.UtcNow;
        }
        await catalog.SaveChangesAsync(cancellationToken);
    }
}
