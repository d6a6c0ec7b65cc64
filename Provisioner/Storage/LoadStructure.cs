using Npgsql;
using TieredTenancy.Tenancy.Storage;

namespace TieredTenancy.Provisioner.Storage;

/// <summary>
/// Bulk loads into storage nobody is served from yet (a move's or an import's new schema or
/// database) run without foreign keys and secondary indexes, put back afterwards in one pass each,
/// which is far faster than per-row checks. Primary keys stay, so catch-up upserts can find rows.
/// The definitions come from the database itself, so whatever a migration added comes back as it was.
/// </summary>
public sealed class LoadStructure
{
    private readonly List<(string Table, string Name, string Definition)> _foreignKeys = [];
    private readonly List<(string Name, string Definition)> _indexes = [];

    private LoadStructure(string schema) => Schema = schema;

    public string Schema { get; }

    /// <summary>Drops the foreign keys and secondary indexes of <paramref name="tables"/> in <paramref name="schema"/>; returns how to put them back.</summary>
    public static async Task<LoadStructure> DropAsync(NpgsqlConnection connection, string schema, IReadOnlyList<string> tables, CancellationToken cancellationToken)
    {
        var structure = new LoadStructure(schema);
        await using (var command = new NpgsqlCommand("""
            SELECT c.relname, k.conname, pg_get_constraintdef(k.oid)
            FROM pg_constraint k
            JOIN pg_class c ON c.oid = k.conrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE k.contype = 'f' AND n.nspname = $1 AND c.relname = ANY($2)
            """, connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = schema });
            command.Parameters.Add(new NpgsqlParameter { Value = tables.ToArray() });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                structure._foreignKeys.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
            }
        }
        await using (var command = new NpgsqlCommand("""
            SELECT i.relname, pg_get_indexdef(i.oid)
            FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_class t ON t.oid = x.indrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace
            WHERE n.nspname = $1 AND t.relname = ANY($2) AND NOT x.indisprimary
              AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = x.indexrelid)
            """, connection))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = schema });
            command.Parameters.Add(new NpgsqlParameter { Value = tables.ToArray() });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                structure._indexes.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        var drops = structure._foreignKeys.Select(fk => $"ALTER TABLE {Sql.Id(schema)}.{Sql.Id(fk.Table)} DROP CONSTRAINT {Sql.Id(fk.Name)};")
            .Concat(structure._indexes.Select(index => $"DROP INDEX {Sql.Id(schema)}.{Sql.Id(index.Name)};"));
        await Sql.ExecuteAsync(connection, string.Join('\n', drops), cancellationToken);
        return structure;
    }

    /// <summary>Builds the indexes, then adds and validates the foreign keys (one join per key, not a check per row).</summary>
    public async Task RestoreAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var statements = _indexes.Select(index => index.Definition + ";")
            .Concat(_foreignKeys.Select(fk => $"ALTER TABLE {Sql.Id(Schema)}.{Sql.Id(fk.Table)} ADD CONSTRAINT {Sql.Id(fk.Name)} {fk.Definition};"));
        await Sql.ExecuteAsync(connection, "SET maintenance_work_mem = '256MB';\n" + string.Join('\n', statements), cancellationToken);
    }
}
