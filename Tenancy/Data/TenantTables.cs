using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql;

namespace TieredTenancy.Tenancy.Data;

/// <summary>
/// The tables of the tenant data model, read from the EF model so a table a later migration adds is
/// moved, exported and deleted like the others: parents before children (for copying in), children
/// before parents (for deleting). Every one has <c>tenant_id</c> and <c>id</c>, in every tier.
/// </summary>
public sealed class TenantTables
{
    private TenantTables(IReadOnlyList<string> parentsFirst, IReadOnlyDictionary<string, IReadOnlyList<string>> storedColumns)
    {
        ParentsFirst = parentsFirst;
        ChildrenFirst = parentsFirst.Reverse().ToList();
        StoredColumns = storedColumns;
    }

    /// <summary>Per table, the columns the latest model stores (not those the database computes, like the search vector).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> StoredColumns { get; }

    public IReadOnlyList<string> ParentsFirst { get; }

    public IReadOnlyList<string> ChildrenFirst { get; }

    public static TenantTables Load()
    {
        using var context = new TenantDataContext(new DbContextOptionsBuilder<TenantDataContext>().UseTenantStorage("Host=unused").Options);
        var entities = context.Model.GetEntityTypes().Where(entity => typeof(ITenantOwned).IsAssignableFrom(entity.ClrType)).ToList();
        var ordered = new List<IEntityType>();
        void Visit(IEntityType entity)
        {
            if (ordered.Contains(entity))
            {
                return;
            }
            foreach (var parent in entity.GetForeignKeys().Select(key => key.PrincipalEntityType).Where(parent => parent != entity))
            {
                Visit(parent);
            }
            ordered.Add(entity);
        }
        entities.ForEach(Visit);
        return new TenantTables(
            ordered.Select(entity => entity.GetTableName()!).ToList(),
            ordered.ToDictionary(entity => entity.GetTableName()!, entity => (IReadOnlyList<string>)entity.GetProperties()
                .Where(property => property.ValueGenerated != ValueGenerated.OnAddOrUpdate)
                .Select(property => property.GetColumnName())
                .ToList()));
    }

    /// <summary>A table's columns as the database has them, in order; generated ones (e.g. the search vector) are computed, never copied.</summary>
    public static async Task<IReadOnlyList<TableColumn>> ColumnsAsync(NpgsqlConnection connection, string schema, string table, CancellationToken cancellationToken,
        NpgsqlTransaction? transaction = null)
    {
        await using var command = new NpgsqlCommand("""
            SELECT a.attname, a.attgenerated <> ''
            FROM pg_attribute a
            JOIN pg_class c ON c.oid = a.attrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = schema });
        command.Parameters.Add(new NpgsqlParameter { Value = table });
        var columns = new List<TableColumn>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            columns.Add(new TableColumn(reader.GetString(0), reader.GetBoolean(1)));
        }
        return columns.Count > 0 ? columns : throw new InvalidOperationException($"Table {schema}.{table} does not exist.");
    }
}

public sealed record TableColumn(string Name, bool IsGenerated);
