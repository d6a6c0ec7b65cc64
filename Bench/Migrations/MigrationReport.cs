using System.Globalization;
using System.Text;

namespace TieredTenancy.Bench.Migrations;

/// <summary>The fleet-migration table.</summary>
public static class MigrationReport
{
    public const double TargetSeconds = 10;
    public const double TargetRatio = 3;

    public static string Render(MigrationMeasurement migration)
    {
        var ratio = migration.Up.TotalMilliseconds / migration.Raw.TotalMilliseconds;
        var text = new StringBuilder();
        text.Append($"TieredTenancy fleet-migration benchmark ({DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC; {BuildInfo.Configuration}; {Environment.ProcessorCount} cores; Local mode, ephemeral)\n");
        text.Append($"{migration.SchemaTenants} schema tenants and {migration.DatabaseTenants} database tenants; {migration.Targets} targets with the shared tables and the templates; " +
            $"{migration.Parallel} workers per server\n");
        text.Append("raw: the same step's SQL on every target as the superuser, each in a transaction rolled back, with the same workers per server\n\n");
        text.Append($"back one version (down steps):  {Seconds(migration.Down)}\n");
        text.Append($"forward again (the operation):  {Seconds(migration.Up)}  ({migration.UpStatus}; target <= {TargetSeconds:0} s: {(migration.Up.TotalSeconds <= TargetSeconds ? "PASS" : "MISS")})\n");
        text.Append($"raw DDL of the same step:       {Seconds(migration.Raw)}\n");
        text.Append($"operation / raw:                {ratio.ToString("0.00", CultureInfo.InvariantCulture)}x  (target <= {TargetRatio:0}x: {(ratio <= TargetRatio ? "PASS" : "MISS")})\n");
        text.Append($"targets per second:             {(migration.Targets / migration.Up.TotalSeconds).ToString("0", CultureInfo.InvariantCulture)}\n");
        return text.ToString();
    }

    private static string Seconds(TimeSpan time) => time.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture) + " s";
}
