using Npgsql;

namespace TieredTenancy.Bench;

/// <summary>
/// Row tier, raw: INSERT one row into a scratch copy of the catalog's <c>tenants</c> table (same
/// columns, defaults, constraints and indexes, and the foreign key to <c>plans</c>), in the
/// <c>catalog</c> database, as the superuser. The scratch table is dropped at the end.
/// </summary>
public static class RawTenantRow
{
    private const string Table = "bench_tenants";

    public static async Task<IReadOnlyList<double>> MeasureAsync(NpgsqlConnection catalog, int warmups, int repetitions)
    {
        await ExecuteAsync(catalog, $"""
            DROP TABLE IF EXISTS {Table};
            CREATE TABLE {Table} (LIKE tenants INCLUDING ALL);
            ALTER TABLE {Table} ADD FOREIGN KEY (plan) REFERENCES plans (name) ON DELETE RESTRICT;
            """);
        try
        {
            return await Timing.RepeatAsync(warmups, repetitions, _ => Timing.MillisecondsAsync(() => InsertAsync(catalog)));
        }
        finally
        {
            await ExecuteAsync(catalog, $"DROP TABLE IF EXISTS {Table}");
        }
    }

    private static async Task InsertAsync(NpgsqlConnection catalog)
    {
        var id = Guid.CreateVersion7();
        var slug = $"raw-{id:N}";
        var now = DateTimeOffset.UtcNow;
        await using var command = new NpgsqlCommand($"""
            INSERT INTO {Table} (id, slug, name, plan, isolation, status, placement_server, placement_database, placement_schema,
                placement_epoch, placement_role, placement_protected_connection_string, created_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, NULL, $11, $12)
            """, catalog);
        foreach (var value in new object[] { id, slug, $"Raw {slug}", "free", "Row", "Provisioning", "postgres", "tenants", "public", 1L, now, now })
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }
        await command.ExecuteNonQueryAsync();
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
