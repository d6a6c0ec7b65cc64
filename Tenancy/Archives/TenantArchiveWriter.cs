using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Npgsql;
using TieredTenancy.Tenancy.Data;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Tenancy.Archives;

/// <summary>
/// Writes a tenant's data as a zip archive: one CSV file per table of the tenant data model (with a
/// header row, PostgreSQL's own CSV so every value round-trips), then <c>manifest.json</c> and its
/// signature (<see cref="TenantArchiveSignature"/>). It
/// streams: each table goes from <c>COPY … TO STDOUT</c> through the zip into the output a buffer at
/// a time, hashed on the way, so memory does not grow with the tenant. The caller gives a
/// connection inside a REPEATABLE READ transaction, so every file is of one snapshot.
/// </summary>
public static class TenantArchiveWriter
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static async Task<TenantArchiveManifest> WriteAsync(Stream output, NpgsqlConnection connection, NpgsqlTransaction snapshot, string schema,
        ArchivedTenant tenant, string storageVersion, IReadOnlyList<string> tables, TenantArchiveSignature signature, CancellationToken cancellationToken,
        int rowsPerStatement = KeyRanges.RowsPerStatement)
    {
        // Timestamps and dates are written in one fixed form, whatever the session had.
        await using (var settings = new NpgsqlCommand("SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'", connection, snapshot))
        {
            await settings.ExecuteNonQueryAsync(cancellationToken);
        }
        var files = new List<ArchivedFile>();
        var buffered = new SyncWriteBuffer(output);
        TenantArchiveManifest manifest;
        await using (var archive = await ZipArchive.CreateAsync(buffered, ZipArchiveMode.Create, leaveOpen: true, entryNameEncoding: null, cancellationToken))
        {
            foreach (var table in tables)
            {
                var columns = (await TenantTables.ColumnsAsync(connection, schema, table, cancellationToken, snapshot))
                    .Where(column => !column.IsGenerated).Select(column => column.Name).ToList();
                var rows = await CountAsync(connection, snapshot, schema, table, tenant.Id, cancellationToken);
                var entry = archive.CreateEntry($"{table}.csv", CompressionLevel.Fastest);
                string sha256;
                await using (var stream = await entry.OpenAsync(cancellationToken))
                {
                    sha256 = await CopyTableAsync(connection, snapshot, schema, table, columns, tenant.Id, rows, rowsPerStatement, stream, cancellationToken);
                }
                files.Add(new ArchivedFile(entry.Name, table, columns, rows, sha256));
            }
            manifest = new TenantArchiveManifest(TenantArchiveManifest.CurrentFormat, tenant, storageVersion, DateTimeOffset.UtcNow, files);
            var manifestBytes = JsonSerializer.SerializeToUtf8Bytes(manifest, Json);
            await WriteEntryAsync(archive, TenantArchiveManifest.EntryName, manifestBytes, cancellationToken);
            await WriteEntryAsync(archive, TenantArchiveSignature.EntryName, Encoding.ASCII.GetBytes(signature.Sign(manifestBytes)), cancellationToken);
        }
        await buffered.FlushAsync(cancellationToken);
        return manifest;
    }

    private static async Task WriteEntryAsync(ZipArchive archive, string name, byte[] content, CancellationToken cancellationToken)
    {
        await using var stream = await archive.CreateEntry(name, CompressionLevel.Fastest).OpenAsync(cancellationToken);
        await stream.WriteAsync(content, cancellationToken);
    }

    private static async Task<long> CountAsync(NpgsqlConnection connection, NpgsqlTransaction snapshot, string schema, string table, Guid tenantId,
        CancellationToken cancellationToken)
    {
        await using var count = new NpgsqlCommand($"SELECT count(*) FROM {TenantNames.Quote(schema)}.{TenantNames.Quote(table)} WHERE tenant_id = $1",
            connection, snapshot);
        count.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        return (long)(await count.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// One table's rows as CSV into <paramref name="output"/>, in id order, a COPY per key range (the
    /// header with the first): the same bytes as one COPY. Returns the SHA-256 of what was written.
    /// </summary>
    private static async Task<string> CopyTableAsync(NpgsqlConnection connection, NpgsqlTransaction snapshot, string schema, string table,
        IReadOnlyList<string> columns, Guid tenantId, long rows, int rowsPerStatement, Stream output, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var list = string.Join(", ", columns.Select(TenantNames.Quote));
        var qualified = $"{TenantNames.Quote(schema)}.{TenantNames.Quote(table)}";
        var chars = new char[32 * 1024];
        var bytes = new byte[Encoding.UTF8.GetMaxByteCount(chars.Length)];
        var encoder = Encoding.UTF8.GetEncoder();
        var ranges = await KeyRanges.OfAsync(connection, snapshot, qualified, tenantId, rows, rowsPerStatement, cancellationToken);
        for (var index = 0; index < ranges.Count; index++)
        {
            using var reader = await connection.BeginTextExportAsync(
                $"COPY (SELECT {list} FROM {qualified} WHERE tenant_id = '{tenantId}'{ranges[index].Condition} ORDER BY id) " +
                $"TO STDOUT (FORMAT csv{(index == 0 ? ", HEADER" : "")})", cancellationToken);
            int read;
            while ((read = await reader.ReadAsync(chars.AsMemory(), cancellationToken)) > 0)
            {
                var length = encoder.GetBytes(chars, 0, read, bytes, 0, flush: false);
                hash.AppendData(bytes, 0, length);
                await output.WriteAsync(bytes.AsMemory(0, length), cancellationToken);
            }
        }
        var tail = encoder.GetBytes([], 0, 0, bytes, 0, flush: true);
        hash.AppendData(bytes, 0, tail);
        await output.WriteAsync(bytes.AsMemory(0, tail), cancellationToken);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
