using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using TieredTenancy.Tenancy.Data;

namespace TieredTenancy.Bench;

/// <summary>
/// The SQL that makes a tenant's tables, generated the way the Provisioner's StorageMigrations
/// generates it: the history table's create-if-not-exists script, then every migration of
/// <see cref="TenantDataContext"/> from EF's own migrator, without transactions, with unqualified
/// names (they land in whatever <c>search_path</c> points at).
/// </summary>
/// <param name="Tables">Distinct tables created, the migration history table included.</param>
/// <param name="Indexes">Explicit CREATE INDEX statements (each table's primary key index comes on top).</param>
public sealed partial record TenantSchemaScript(string Sql, int Tables, int Indexes)
{
    public static TenantSchemaScript Generate()
    {
        using var context = new TenantDataContext(new DbContextOptionsBuilder<TenantDataContext>().UseTenantStorage("Host=unused").Options);
        var migrator = context.GetService<IMigrator>();
        var history = context.GetService<IHistoryRepository>();
        var ids = context.Database.GetMigrations().ToList();
        var steps = ids.Select((id, index) =>
            migrator.GenerateScript(index == 0 ? Migration.InitialDatabase : ids[index - 1], id, MigrationsSqlGenerationOptions.NoTransactions));
        var sql = history.GetCreateIfNotExistsScript() + Environment.NewLine + string.Join(Environment.NewLine, steps);
        var tables = CreateTable().Matches(sql).Select(match => match.Groups["name"].Value).Distinct().Count();
        return new(sql, tables, CreateIndex().Count(sql));
    }

    /// <summary>The latest migration's up step as SQL (it also records itself in the history table), as the Provisioner applies it.</summary>
    public static (string Previous, string Latest, string Sql) LatestStep()
    {
        using var context = new TenantDataContext(new DbContextOptionsBuilder<TenantDataContext>().UseTenantStorage("Host=unused").Options);
        var ids = context.Database.GetMigrations().ToList();
        return (ids[^2], ids[^1], context.GetService<IMigrator>().GenerateScript(ids[^2], ids[^1], MigrationsSqlGenerationOptions.NoTransactions));
    }

    /// <summary>The history table's create-if-not-exists appears twice (as in the Provisioner); tables are counted once.</summary>
    [GeneratedRegex(@"\bCREATE TABLE (IF NOT EXISTS )?(?<name>""?\w+""?)", RegexOptions.IgnoreCase)]
    private static partial Regex CreateTable();

    [GeneratedRegex(@"\bCREATE (UNIQUE )?INDEX\b", RegexOptions.IgnoreCase)]
    private static partial Regex CreateIndex();
}
