using Npgsql;

namespace TieredTenancy.Bench;

/// <summary>What the raw PostgreSQL work cost, per isolation, and what it ran on.</summary>
public sealed record RawCosts(IReadOnlyDictionary<Tier, IReadOnlyList<double>> ByTier, string ServerVersion, TenantSchemaScript SchemaScript);

/// <summary>
/// The raw PostgreSQL cost of the same work the admin API does, against the same servers in the
/// same run: plain Npgsql as each server's superuser, one pooled connection per database, held
/// open for all repetitions.
/// </summary>
public static class RawPostgresCost
{
    public static async Task<RawCosts> MeasureAsync(BenchStack stack, BenchOptions options)
    {
        var script = TenantSchemaScript.Generate();
        var byTier = new Dictionary<Tier, IReadOnlyList<double>>();

        await using var catalog = await OpenAsync(await stack.ConnectionStringAsync("catalog"), database: null);
        await using var tenants = await OpenAsync(await stack.ConnectionStringAsync("tenants"), database: null);
        await using var dedicated = await OpenAsync(await stack.ConnectionStringAsync("postgres-dedicated"), database: "postgres");

        Console.Error.WriteLine($"  raw: {options.WarmupsPerPlan} warm-up + {options.RawRepetitions} repetitions per isolation");
        byTier[Tier("row")] = await RawTenantRow.MeasureAsync(catalog, options.WarmupsPerPlan, options.RawRepetitions);
        byTier[Tier("schema")] = await RawTenantSchema.MeasureAsync(tenants, script, options.WarmupsPerPlan, options.RawRepetitions);
        byTier[Tier("database")] = await RawTenantDatabase.MeasureAsync(dedicated, options.WarmupsPerPlan, options.RawRepetitions);

        return new RawCosts(byTier, catalog.PostgreSqlVersion.ToString(), script);
    }

    private static Tier Tier(string isolation) => Tiers.All.Single(tier => tier.Isolation == isolation);

    private static async Task<NpgsqlConnection> OpenAsync(string connectionString, string? database)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = true };
        if (database is not null)
        {
            builder.Database = database;
        }
        var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }
}
