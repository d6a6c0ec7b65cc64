using Npgsql;

namespace TieredTenancy.Bench;

/// <summary>
/// Schema tier, raw: in one transaction, CREATE ROLE + CREATE SCHEMA + the tenant tables and
/// indexes (the EF migration SQL, with <c>SET LOCAL search_path</c> to the new schema), in the
/// <c>tenants</c> database, as the superuser. Timed from BEGIN to COMMIT; the schema and role are
/// dropped after each repetition, untimed.
/// </summary>
public static class RawTenantSchema
{
    public static async Task<IReadOnlyList<double>> MeasureAsync(NpgsqlConnection tenants, TenantSchemaScript script, int warmups, int repetitions) =>
        await Timing.RepeatAsync(warmups, repetitions, async _ =>
        {
            var name = $"bench_s_{Guid.NewGuid():N}";
            try
            {
                return await Timing.MillisecondsAsync(() => CreateAsync(tenants, name, script));
            }
            finally
            {
                await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{name}\" CASCADE; DROP ROLE IF EXISTS \"{name}\"", tenants);
                await drop.ExecuteNonQueryAsync();
            }
        });

    private static async Task CreateAsync(NpgsqlConnection tenants, string name, TenantSchemaScript script)
    {
        await using var transaction = await tenants.BeginTransactionAsync();
        await using (var command = new NpgsqlCommand($"""
            CREATE ROLE "{name}" NOLOGIN;
            CREATE SCHEMA "{name}";
            SET LOCAL search_path TO "{name}";
            {script.Sql}
            """, tenants, transaction))
        {
            await command.ExecuteNonQueryAsync();
        }
        await transaction.CommitAsync();
    }
}
