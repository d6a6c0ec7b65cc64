using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;

namespace TieredTenancy.Bench.Migrations;

/// <summary>A fleet migration's figures beside the raw DDL of the same step on the same targets.</summary>
public sealed record MigrationMeasurement(int SchemaTenants, int DatabaseTenants, int Targets, TimeSpan Down, TimeSpan Up, TimeSpan Raw, int Parallel,
    string UpStatus);

/// <summary>
/// Provisions a fleet of schema and database tenants, takes it one version back through
/// <c>POST /admin/migrations</c>, times the raw DDL of the latest step on every target (in a
/// transaction rolled back, with the same parallelism per server), then times the fleet migration
/// that brings every target forward again.
/// </summary>
public static class MigrationBenchmark
{
    public static async Task<MigrationMeasurement> MeasureAsync(BenchStack stack, BenchOptions options)
    {
        using var admin = await stack.AdminClientAsync();
        Console.Error.WriteLine($"migrations: provisioning {options.SchemaTenants} schema and {options.DatabaseTenants} database tenants...");
        await ProvisionAsync(admin, "business", options.SchemaTenants);
        await ProvisionAsync(admin, "enterprise", options.DatabaseTenants);

        var (previous, latest, upSql) = TenantSchemaScript.LatestStep();
        Console.Error.WriteLine($"migrations: taking the fleet back to {previous}...");
        var (down, _) = await MigrateAsync(admin, previous, options.MigrationParallel);

        Console.Error.WriteLine("migrations: raw DDL of the latest step on every target...");
        var targets = await TargetsAsync(stack);
        var raw = await RawDdlAsync(stack, targets, upSql, options.MigrationParallel);

        Console.Error.WriteLine($"migrations: forward to {latest}...");
        var (up, status) = await MigrateAsync(admin, latest, options.MigrationParallel);
        return new MigrationMeasurement(options.SchemaTenants, options.DatabaseTenants, targets.Count, down, up, raw, options.MigrationParallel, status);
    }

    private static async Task ProvisionAsync(HttpClient admin, string plan, int count)
    {
        var next = 0;
        await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) is var index && index <= count)
            {
                var slug = $"mig-{plan[..3]}-{index}-{Guid.NewGuid():N}"[..30];
                using var response = await admin.PostAsJsonAsync("/admin/tenants", new { slug, name = slug, plan });
                if (response.StatusCode != HttpStatusCode.Created)
                {
                    throw new InvalidOperationException($"Creating {slug} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                }
            }
        }));
    }

    /// <summary>From the request to the operation's end, polled every 50 ms.</summary>
    private static async Task<(TimeSpan Wall, string Status)> MigrateAsync(HttpClient admin, string version, int parallel)
    {
        var clock = Stopwatch.StartNew();
        using var started = await admin.PostAsJsonAsync("/admin/migrations", new { targetVersion = version, canary = 1, maxParallel = parallel });
        var location = started.Headers.Location?.ToString()
            ?? throw new InvalidOperationException($"POST /admin/migrations answered {(int)started.StatusCode}: {await started.Content.ReadAsStringAsync()}");
        while (true)
        {
            var operation = await admin.GetFromJsonAsync<JsonElement>(location);
            var status = operation.GetProperty("status").GetString()!;
            if (status is not ("pending" or "running"))
            {
                if (status != "succeeded")
                {
                    Console.Error.WriteLine($"migrations: {operation}");
                }
                return (clock.Elapsed, status);
            }
            await Task.Delay(50);
        }
    }

    private sealed record Target(string Server, string Database, string Schema);

    private static async Task<List<Target>> TargetsAsync(BenchStack stack)
    {
        await using var catalog = new NpgsqlConnection(await stack.ConnectionStringAsync("catalog"));
        await catalog.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT server, database, schema FROM storage_targets ORDER BY server, database, schema", catalog);
        await using var reader = await command.ExecuteReaderAsync();
        var targets = new List<Target>();
        while (await reader.ReadAsync())
        {
            targets.Add(new Target(reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        }
        return targets;
    }

    /// <summary>
    /// The step's SQL on every target as the superuser, each in a transaction that is rolled back
    /// (PostgreSQL's DDL is transactional: the work is done, nothing stays): per server the same
    /// number of workers as the operation, one connection per worker for the shared database's
    /// schemas, one per database elsewhere.
    /// </summary>
    private static async Task<TimeSpan> RawDdlAsync(BenchStack stack, IReadOnlyList<Target> targets, string sql, int parallel)
    {
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(targets.GroupBy(target => target.Server).Select(async server =>
        {
            var connectionString = await stack.ConnectionStringAsync(server.Key == "postgres" ? "tenants" : server.Key);
            var queue = new System.Collections.Concurrent.ConcurrentQueue<Target>(server);
            await Task.WhenAll(Enumerable.Range(0, parallel).Select(async _ =>
            {
                NpgsqlConnection? shared = null;
                while (queue.TryDequeue(out var target))
                {
                    var own = server.Key == "postgres" ? null : new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Database = target.Database, Pooling = false }.ConnectionString);
                    var connection = own ?? (shared ??= new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString));
                    if (connection.State != System.Data.ConnectionState.Open)
                    {
                        await connection.OpenAsync();
                    }
                    await using (var transaction = await connection.BeginTransactionAsync())
                    {
                        await using var command = new NpgsqlCommand($"SET LOCAL search_path TO \"{target.Schema}\";\n{sql}", connection, transaction);
                        await command.ExecuteNonQueryAsync();
                        await transaction.RollbackAsync();
                    }
                    if (own is not null)
                    {
                        await own.DisposeAsync();
                    }
                }
                if (shared is not null)
                {
                    await shared.DisposeAsync();
                }
            }));
        }));
        return clock.Elapsed;
    }
}
