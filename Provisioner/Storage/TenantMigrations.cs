using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql;
using TieredTenancy.Tenancy.Data;

namespace TieredTenancy.Provisioner.Storage;

/// <summary>
/// The tenant data model's EF Core migrations as SQL, generated once from EF's own migrator and
/// applied the same way to every target: the shared tables, a tenant schema, a tenant database.
/// Unqualified names land in the target's schema through <c>search_path</c>; each target keeps
/// its own history table, so it knows its own version.
/// </summary>
public sealed class TenantMigrations
{
    private const string HistoryTable = "__EFMigrationsHistory";

    private TenantMigrations(IReadOnlyList<MigrationStep> steps, string createHistorySql)
    {
        Steps = steps;
        CreateHistorySql = createHistorySql;
    }

    public IReadOnlyList<MigrationStep> Steps { get; }

    public string CreateHistorySql { get; }

    public string LatestVersion => Steps[^1].Id;

    public static TenantMigrations Load()
    {
        using var context = new TenantDataContext(new DbContextOptionsBuilder<TenantDataContext>().UseTenantStorage("Host=unused").Options);
        var migrator = context.GetService<IMigrator>();
        var history = context.GetService<IHistoryRepository>();
        var ids = context.Database.GetMigrations().ToList();
        var steps = ids.Select((id, index) => new MigrationStep(
                id,
                migrator.GenerateScript(index == 0 ? Migration.InitialDatabase : ids[index - 1], id, MigrationsSqlGenerationOptions.NoTransactions)))
            .ToList();
        return new TenantMigrations(steps, history.GetCreateIfNotExistsScript());
    }

    /// <summary>
    /// Brings one target to <paramref name="targetVersion"/> (latest when null) inside the caller's
    /// transaction, acting as the owner role. Returns the version it ends at.
    /// </summary>
    public async Task<string> ApplyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string schema, string ownerRole,
        string? targetVersion, CancellationToken cancellationToken)
    {
        await Sql.ExecuteAsync(connection, $"SET LOCAL ROLE {Sql.Id(ownerRole)}; SET LOCAL search_path TO {Sql.Id(schema)}", cancellationToken, transaction);
        await Sql.ExecuteAsync(connection, CreateHistorySql, cancellationToken, transaction);

        var applied = await AppliedAsync(connection, transaction, cancellationToken);

        var version = "";
        foreach (var step in Steps)
        {
            if (!applied.Contains(step.Id))
            {
                await Sql.ExecuteAsync(connection, step.Sql, cancellationToken, transaction);
            }
            version = step.Id;
            if (step.Id == targetVersion)
            {
                break;
            }
        }
        await Sql.ExecuteAsync(connection, "RESET ROLE", cancellationToken, transaction);
        return version;
    }

    /// <summary>The steps from the first through <paramref name="version"/> (every step when null).</summary>
    public IReadOnlyList<MigrationStep> StepsThrough(string? version)
    {
        if (version is null)
        {
            return Steps;
        }
        var index = Steps.Select(step => step.Id).ToList().IndexOf(version);
        return index >= 0 ? Steps.Take(index + 1).ToList() : throw new InvalidOperationException($"'{version}' is not a migration of the tenant data model.");
    }

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

public sealed record MigrationStep(string Id, string Sql);
