using System.Diagnostics;
using Npgsql;

namespace TieredTenancy.Bench.Moves;

/// <summary>
/// The raw cost a move is compared with: the same rows copied from the source placement with
/// <c>COPY … TO STDOUT (FORMAT binary)</c> into <c>COPY … FROM STDIN (FORMAT binary)</c>, table by
/// table (parents first), into scratch tables of the target tier's shape on the target's server
/// (same columns, generated column, indexes and foreign keys): the copy a move cannot avoid, and nothing else.
/// </summary>
public static class RawCopy
{
    private const string ScratchSchema = "bench_raw";
    private const string ScratchDatabase = "bench_raw";

    public static async Task<TimeSpan> MeasureAsync(BenchStack stack, Guid tenantId, BenchPlacement source, string targetServer, string templateDatabase)
    {
        var scratch = targetServer == BenchPlacement.SharedServer
            ? new BenchPlacement(targetServer, "tenants", ScratchSchema)
            : new BenchPlacement(targetServer, ScratchDatabase, "public");
        await PrepareAsync(stack, scratch, templateDatabase);
        try
        {
            await using var from = await source.OpenAsync(stack);
            await using var to = await scratch.OpenAsync(stack);
            var clock = Stopwatch.StartNew();
            foreach (var table in BenchPlacement.TablesParentsFirst)
            {
                var columns = await CopiedColumnsAsync(from, source.Schema, table);
                await using var reading = await from.BeginRawBinaryCopyAsync(
                    $"COPY (SELECT {columns} FROM {source.Table(table)} WHERE tenant_id = '{tenantId}') TO STDOUT (FORMAT binary)");
                await using var writing = await to.BeginRawBinaryCopyAsync($"COPY {scratch.Table(table)} ({columns}) FROM STDIN (FORMAT binary)");
                await reading.CopyToAsync(writing);
            }
            return clock.Elapsed;
        }
        finally
        {
            await DropAsync(stack, scratch);
        }
    }

    private static async Task PrepareAsync(BenchStack stack, BenchPlacement scratch, string templateDatabase)
    {
        await DropAsync(stack, scratch);
        if (!scratch.IsShared)
        {
            await using var maintenance = await scratch.OpenAsync(stack, "postgres");
            await Execute(maintenance, $"CREATE DATABASE {ScratchDatabase} TEMPLATE \"{templateDatabase}\"");
            return;
        }
        await using var shared = await scratch.OpenAsync(stack);
        await Execute(shared, $"CREATE SCHEMA {ScratchSchema}");
        foreach (var table in BenchPlacement.TablesParentsFirst)
        {
            await Execute(shared, $"CREATE TABLE {ScratchSchema}.\"{table}\" (LIKE public.\"{table}\" INCLUDING ALL)");
        }
        // The shared tables' foreign keys, pointing at the scratch tables (definitions read with public on the path, so unqualified).
        var keys = new List<(string Table, string Name, string Definition)>();
        await using (var read = new NpgsqlCommand("""
            SET search_path TO public;
            SELECT c.relname, k.conname, pg_get_constraintdef(k.oid) FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
            WHERE k.contype = 'f' AND k.connamespace = 'public'::regnamespace
            """, shared))
        await using (var reader = await read.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                keys.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
            }
        }
        await Execute(shared, $"SET search_path TO {ScratchSchema}; " +
            string.Concat(keys.Select(key => $"ALTER TABLE \"{key.Table}\" ADD CONSTRAINT \"{key.Name}\" {key.Definition};")) + " RESET search_path;");
    }

    private static async Task DropAsync(BenchStack stack, BenchPlacement scratch)
    {
        if (scratch.IsShared)
        {
            await using var shared = await scratch.OpenAsync(stack);
            await Execute(shared, $"DROP SCHEMA IF EXISTS {ScratchSchema} CASCADE");
        }
        else
        {
            await using var maintenance = await scratch.OpenAsync(stack, "postgres");
            await Execute(maintenance, $"DROP DATABASE IF EXISTS {ScratchDatabase} WITH (FORCE)");
        }
    }

    private static async Task<string> CopiedColumnsAsync(NpgsqlConnection connection, string schema, string table)
    {
        await using var command = new NpgsqlCommand("""
            SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) FROM pg_attribute a
            WHERE a.attrelid = (quote_ident($1) || '.' || quote_ident($2))::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = schema });
        command.Parameters.Add(new NpgsqlParameter { Value = table });
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private static async Task Execute(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
