using Aspire.Hosting;
using Aspire.Hosting.Testing;
using StackExchange.Redis;
using TieredTenancy.Tests.Stack;

namespace TieredTenancy.Tests.Archives;

/// <summary>
/// Looks for anything of a tenant, independently of the Provisioner's own checks: rows in every table
/// of the shared database that has a tenant column, its schema and role, a database or login on any
/// dedicated server, a storage target or a live client in the catalog, and any Redis key naming it.
/// </summary>
public static class TenantRemains
{
    /// <summary>What is left, one line each; empty when nothing is.</summary>
    public static async Task<IReadOnlyList<string>> FindAsync(DistributedApplication app, Guid tenantId)
    {
        var found = new List<string>();
        var compact = tenantId.ToString("N");

        await using (var shared = await app.OpenAsync("tenants"))
        {
            var tables = new List<(string Schema, string Table)>();
            await using (var command = new Npgsql.NpgsqlCommand("""
                SELECT c.table_schema, c.table_name FROM information_schema.columns c
                JOIN information_schema.tables t USING (table_schema, table_name)
                WHERE c.column_name = 'tenant_id' AND t.table_type = 'BASE TABLE'
                  AND c.table_schema NOT IN ('pg_catalog', 'information_schema')
                """, shared))
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    tables.Add((reader.GetString(0), reader.GetString(1)));
                }
            }
            Assert.Contains(tables, table => table == ("public", "tasks"));
            // The placement fence is kept on purpose: it refuses the tenant at every epoch for ever.
            foreach (var (schema, table) in tables.Where(table => table != ("public", "tt_placement_fences")))
            {
                var rows = await shared.ScalarAsync<long>($"SELECT count(*) FROM \"{schema}\".\"{table}\" WHERE tenant_id = $1", tenantId);
                if (rows > 0)
                {
                    found.Add($"{rows} rows in tenants.{schema}.{table}");
                }
            }
            found.AddRange(await NamesAsync(shared, "SELECT nspname FROM pg_namespace WHERE strpos(nspname, $1) > 0", compact, "schema"));
            found.AddRange(await NamesAsync(shared, "SELECT rolname FROM pg_roles WHERE strpos(rolname, $1) > 0", compact, "role on postgres"));
        }

        var dedicated = TestStack.ServiceResourceNames(app).Where(name => name.StartsWith("postgres-dedicated", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(dedicated);
        foreach (var server in dedicated)
        {
            await using var connection = await app.OpenAsync(server);
            found.AddRange(await NamesAsync(connection, "SELECT datname FROM pg_database WHERE strpos(datname, $1) > 0", compact, $"database on {server}"));
            found.AddRange(await NamesAsync(connection, "SELECT rolname FROM pg_roles WHERE strpos(rolname, $1) > 0", compact, $"role on {server}"));
        }

        await using (var catalog = await app.OpenAsync("catalog"))
        {
            if (await catalog.ScalarAsync<long>("SELECT count(*) FROM storage_targets WHERE tenant_id = $1", tenantId) is > 0 and var targets)
            {
                found.Add($"{targets} storage targets in the catalog");
            }
            if (await catalog.ScalarAsync<long>("SELECT count(*) FROM api_clients WHERE tenant_id = $1 AND revoked_at IS NULL", tenantId) is > 0 and var clients)
            {
                found.Add($"{clients} API clients not revoked");
            }
        }

        await using var redis = await ConnectionMultiplexer.ConnectAsync((await app.GetConnectionStringAsync("cache"))!);
        foreach (var endpoint in redis.GetEndPoints())
        {
            await foreach (var key in redis.GetServer(endpoint).KeysAsync(pattern: $"*{tenantId}*", pageSize: 1000))
            {
                found.Add($"Redis key {key}");
            }
            await foreach (var key in redis.GetServer(endpoint).KeysAsync(pattern: $"*{compact}*", pageSize: 1000))
            {
                found.Add($"Redis key {key}");
            }
        }
        return found;
    }

    private static async Task<IEnumerable<string>> NamesAsync(Npgsql.NpgsqlConnection connection, string sql, string compact, string what)
    {
        var names = new List<string>();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = compact });
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            names.Add($"{what} {reader.GetString(0)}");
        }
        return names;
    }
}
