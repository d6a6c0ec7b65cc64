using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using TieredTenancy.Tenancy.Capacity;
using TieredTenancy.Tenancy.Plans;
using TieredTenancy.Tenancy.Registry;
using TieredTenancy.Tenancy.Storage;

namespace TieredTenancy.Provisioner.Servers;

/// <summary>
/// What each PostgreSQL server holds now: tenants (from the catalog), connections (from the server's
/// own pg_stat_activity) against its limits, and database sizes. Placement and <c>GET /admin/servers</c> read it.
/// </summary>
public sealed class ServerLoad(CatalogDbContext catalog, TenantServers servers, IOptions<CapacityOptions> capacity, IOptions<TenantStorageOptions> storage)
{
    /// <summary>Every tenant login on a dedicated server (<c>tdb_&lt;id&gt;</c>, and <c>tdb_&lt;id&gt;_&lt;hex&gt;</c> after a rotation).</summary>
    private const string TenantLoginsLike = "tdb\\_%";

    /// <param name="withSizes">Each database's size too (a stat per database: skipped where only counts matter, as in placement).</param>
    /// <param name="dedicatedOnly">Only the dedicated servers.</param>
    public async Task<IReadOnlyList<ServerReport>> AllAsync(bool withSizes, CancellationToken cancellationToken, bool dedicatedOnly = false)
    {
        var tenants = await catalog.Tenants.AsNoTracking()
            .Where(tenant => tenant.Status != TenantStatus.Deleted && tenant.Status != TenantStatus.Provisioning)
            .GroupBy(tenant => new { tenant.Placement.Server, tenant.Isolation })
            .Select(group => new { group.Key.Server, group.Key.Isolation, Count = group.Count() })
            .ToListAsync(cancellationToken);
        int Count(string server, IsolationKind isolation) => tenants.Where(t => t.Server == server && t.Isolation == isolation).Sum(t => t.Count);

        var reports = new List<ServerReport>();
        if (!dedicatedOnly)
        {
            await using var shared = await servers.ConnectSharedAsync(cancellationToken);
            reports.Add(await ReportAsync(shared, servers.SharedServer, "shared", null, null,
                new ServerTenants(Count(servers.SharedServer, IsolationKind.Row), Count(servers.SharedServer, IsolationKind.Schema), 0),
                withSizes, cancellationToken));
        }
        foreach (var server in servers.DedicatedServers)
        {
            await using var admin = await servers.OpenDedicatedAdminAsync(server, cancellationToken);
            reports.Add(await ReportAsync(admin, server, "dedicated", capacity.Value.DedicatedConnectionBudget, capacity.Value.DedicatedServerTenantLimit,
                new ServerTenants(0, 0, Count(server, IsolationKind.Database)), withSizes, cancellationToken));
        }
        return reports;
    }

    private async Task<ServerReport> ReportAsync(NpgsqlConnection connection, string name, string kind, int? budget, int? tenantLimit,
        ServerTenants tenants, bool withSizes, CancellationToken cancellationToken)
    {
        var tenantLogin = kind == "dedicated" ? TenantLoginsLike : storage.Value.AppRole;
        await using var command = new NpgsqlCommand("""
            SELECT (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'),
                   (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND usename LIKE $1),
                   current_setting('max_connections')::int
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantLogin });
        long connections, tenantConnections;
        int maxConnections;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            (connections, tenantConnections, maxConnections) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt32(2));
        }

        var databases = new List<DatabaseSize>();
        if (withSizes)
        {
            // Sizes of the databases this role may open or owns; a tenant database it cannot connect to still reports (pg_database_size needs CONNECT or pg_read_all_stats).
            await using var sizes = new NpgsqlCommand("""
                SELECT datname, pg_database_size(oid) FROM pg_database
                WHERE NOT datistemplate AND datname <> 'postgres' AND (has_database_privilege(oid, 'CONNECT') OR pg_has_role('pg_read_all_stats', 'MEMBER'))
                ORDER BY datname
                """, connection);
            await using var reader = await sizes.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                databases.Add(new DatabaseSize(reader.GetString(0), reader.GetInt64(1)));
            }
        }
        return new ServerReport(name, kind, tenants, tenantLimit, new ServerConnections(connections, tenantConnections, budget, maxConnections),
            databases, databases.Sum(database => database.Bytes));
    }
}

public sealed record ServerReport(string Name, string Kind, ServerTenants Tenants, int? TenantLimit, ServerConnections Connections,
    IReadOnlyList<DatabaseSize> Databases, long TotalBytes);

public sealed record ServerTenants(int Row, int Schema, int Database)
{
    public int Total => Row + Schema + Database;
}

/// <param name="Total">Client backends now, every login.</param>
/// <param name="Tenants">Of those, the Api's tenant logins (tenant logins on a dedicated server, the Api's shared login on the main one).</param>
/// <param name="Budget">What the Api replicas together may open (dedicated servers).</param>
public sealed record ServerConnections(long Total, long Tenants, int? Budget, int MaxConnections);

public sealed record DatabaseSize(string Name, long Bytes);
