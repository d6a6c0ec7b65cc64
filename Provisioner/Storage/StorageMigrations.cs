using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql;
using TieredTenancy.Tenancy.Data;
using TieredTenancy.Tenancy.Storage;

namespace TieredTenancy.Provisioner.Storage;

/// <summary>
/// The tenant data model's EF Core migrations as SQL, generated once from EF's own migrator and
/// applied the same way to every target: the shared tables, a tenant schema, a tenant database.
/// Unqualified names land in the target's schema through <c>search_path</c>; each target keeps
/// its own history table, so it knows its own version.
/// </summary>
public sealed class StorageMigrations
{
    private const string HistoryTable = "__EFMigrationsHistory";

    private StorageMigrations(IReadOnlyList<MigrationStep> steps, string createHistorySql)
    {
        Steps = steps;
        CreateHistorySql = createHistorySql;
    }

    public IReadOnlyList<MigrationStep> Steps { get; }

    public string CreateHistorySql { get; }

    public string LatestVersion => Steps[^1].Id;

    public static StorageMigrations Load()
    {
        using var context = new TenantDataContext(new DbContextOptionsBuilder<TenantDataContext>().UseTenantStorage("Host=unused").Options);
        var migrator = context.GetService<IMigrator>();
        var history = context.GetService<IHistoryRepository>();
        var ids = context.Database.GetMigrations().ToList();
        var steps = ids.Select((id, index) =>
            {
                var previous = index == 0 ? Migration.InitialDatabase : ids[index - 1];
                return new MigrationStep(
                    id,
                    migrator.GenerateScript(previous, id, MigrationsSqlGenerationOptions.NoTransactions),
                    migrator.GenerateScript(id, previous, MigrationsSqlGenerationOptions.NoTransactions));
            })
            .ToList();
        return new StorageMigrations(steps, history.GetCreateIfNotExistsScript());
    }

    /// <summary>
    /// Brings one target to <paramref name="targetVersion"/> (latest when null) inside the caller's
    /// transaction, acting as the owner role: the down steps of what it has beyond that version,
    /// newest first, then the up steps it lacks. Each step records itself in the target's history,
    /// so a step already applied is never applied again. Returns the version it ends at.
    /// </summary>
    public async Task<string> ApplyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string schema, string ownerRole,
        string? targetVersion, CancellationToken cancellationToken)
    {
        var target = IndexOf(targetVersion);
        await Sql.ExecuteAsync(connection, $"SET LOCAL ROLE {Sql.Id(ownerRole)}; SET LOCAL search_path TO {Sql.Id(schema)}", cancellationToken, transaction);
        await Sql.ExecuteAsync(connection, CreateHistorySql, cancellationToken, transaction);

        var applied = await AppliedAsync(connection, transaction, cancellationToken);
        foreach (var step in Steps.Skip(target + 1).Reverse().Where(step => applied.Contains(step.Id)))
        {
            await Sql.ExecuteAsync(connection, step.DownSql, cancellationToken, transaction);
        }
        foreach (var step in Steps.Take(target + 1).Where(step => !applied.Contains(step.Id)))
        {
            await Sql.ExecuteAsync(connection, step.Sql, cancellationToken, transaction);
        }
        await Sql.ExecuteAsync(connection, "RESET ROLE", cancellationToken, transaction);
        return Steps[target].Id;
    }

    /// <summary>Whether <paramref name="version"/> names a migration of the tenant data model.</summary>
    public bool IsKnown(string version) => Steps.Any(step => step.Id == version);

    private int IndexOf(string? version)
    {
        if (version is null)
        {
            return Steps.Count - 1;
        }
        var index = Steps.Select(step => step.Id).ToList().IndexOf(version);
        return index >= 0 ? index : throw new InvalidOperationException($"'{version}' is not a migration of the tenant data model.");
    }

    /// <summary>The steps from the first through <paramref name="version"/> (every step when null).</summary>
    public IReadOnlyList<MigrationStep> StepsThrough(string? version) => Steps.Take(IndexOf(version) + 1).ToList();

    /// <summary>
    /// A new, empty target needs the given steps and no look at its history: one script, one round
    /// trip, run inside the caller's transaction as the owner role.
    /// </summary>
    public string NewTargetScript(string schema, string ownerRole, IReadOnlyList<MigrationStep> steps) =>
        string.Join('\n',
        [
            $"SET LOCAL ROLE {Sql.Id(ownerRole)};",
            $"SET LOCAL search_path TO {Sql.Id(schema)};",
            CreateHistorySql,
            .. steps.Select(step => step.Sql),
            "RESET ROLE;",
        ]);

    /// <summary>The migration ids applied in the target that <c>search_path</c> points at.</summary>
    public static async Task<HashSet<string>> AppliedAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        var applied = new HashSet<string>();
        // The migration id is the history table's first column, whatever the naming convention calls it.
        await using var read = new NpgsqlCommand($"SELECT * FROM {Sql.Id(HistoryTable)}", connection, transaction);
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            applied.Add(reader.GetString(0));
        }
        return applied;
    }
}

/// <summary>One migration: the SQL that applies it and the SQL that undoes it (each also writes the history table).</summary>
public sealed record MigrationStep(string Id, string Sql, string DownSql);
