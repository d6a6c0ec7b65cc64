using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using TieredTenancy.Tenancy.Archives;
using TieredTenancy.Tenancy.Data;

namespace TieredTenancy.Provisioner.Archives;

/// <summary>
/// Checks an archive before anything is loaded from it: a manifest signed by the platform
/// (<see cref="TenantArchiveSignature"/>), of the known format; exactly the
/// files it lists; each file's SHA-256, row count and header as the manifest says; tables and
/// columns the tenant data model has. A changed byte, a missing file or a wrong count is named.
/// </summary>
public sealed class TenantArchiveCheck(TenantTables tables, TenantArchiveSignature signature)
{
    public async Task<(TenantArchiveManifest? Manifest, IReadOnlyList<string> Problems)> CheckAsync(string path, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        try
        {
            await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
            await using var archive = await ZipArchive.CreateAsync(file, ZipArchiveMode.Read, leaveOpen: false, entryNameEncoding: null, cancellationToken);
            var manifest = await ReadManifestAsync(archive, problems, cancellationToken);
            if (manifest is null)
            {
                return (null, problems);
            }
            var listed = manifest.Files.Select(listedFile => listedFile.Name).ToHashSet();
            problems.AddRange(archive.Entries.Select(entry => entry.FullName)
                .Where(name => name is not (TenantArchiveManifest.EntryName or TenantArchiveSignature.EntryName) && !listed.Contains(name))
                .Select(name => $"'{name}' is in the archive but not in its manifest."));
            foreach (var listedFile in manifest.Files)
            {
                await CheckFileAsync(archive, listedFile, problems, cancellationToken);
            }
            return (problems.Count == 0 ? manifest : null, problems);
        }
        catch (Exception exception) when (exception is InvalidDataException or IOException)
        {
            problems.Add($"The archive cannot be read as a zip file: {exception.Message}");
            return (null, problems);
        }
    }

    private async Task<TenantArchiveManifest?> ReadManifestAsync(ZipArchive archive, List<string> problems, CancellationToken cancellationToken)
    {
        var entry = archive.GetEntry(TenantArchiveManifest.EntryName);
        if (entry is null)
        {
            problems.Add($"The archive has no {TenantArchiveManifest.EntryName}.");
            return null;
        }
        if (entry.Length > MaxManifestBytes)
        {
            problems.Add($"{TenantArchiveManifest.EntryName} is larger than a manifest can be ({MaxManifestBytes} bytes).");
            return null;
        }
        var manifestBytes = await ReadAllAsync(entry, cancellationToken);
        // Checked first: nothing in a manifest the platform did not sign is believed, not even its hashes.
        var signatureEntry = archive.GetEntry(TenantArchiveSignature.EntryName);
        if (signatureEntry is null || signatureEntry.Length > MaxManifestBytes)
        {
            problems.Add($"The archive has no signature ({TenantArchiveSignature.EntryName}): it was not exported by this platform.");
            return null;
        }
        var signed = Encoding.ASCII.GetString(await ReadAllAsync(signatureEntry, cancellationToken));
        if (!signature.Verifies(manifestBytes, signed))
        {
            problems.Add($"{TenantArchiveManifest.EntryName} does not match its signature: it was changed after the export, or signed elsewhere.");
            return null;
        }
        try
        {
            var manifest = JsonSerializer.Deserialize<TenantArchiveManifest>(manifestBytes, TenantArchiveWriter.Json);
            if (manifest?.Format != TenantArchiveManifest.CurrentFormat || manifest.Files is null || manifest.Tenant is null)
            {
                problems.Add($"{TenantArchiveManifest.EntryName} is not a manifest of the format {TenantArchiveManifest.CurrentFormat}.");
                return null;
            }
            return manifest;
        }
        catch (JsonException exception)
        {
            problems.Add($"{TenantArchiveManifest.EntryName} is not valid JSON: {exception.Message}");
            return null;
        }
    }

    // A manifest lists a handful of files; anything bigger is not one, and is not read into memory.
    private const long MaxManifestBytes = 1 << 20;

    private static async Task<byte[]> ReadAllAsync(ZipArchiveEntry entry, CancellationToken cancellationToken)
    {
        await using var stream = await entry.OpenAsync(cancellationToken);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }

    private async Task CheckFileAsync(ZipArchive archive, ArchivedFile listed, List<string> problems, CancellationToken cancellationToken)
    {
        if (!tables.StoredColumns.TryGetValue(listed.Table, out var modelColumns) || listed.Name != $"{listed.Table}.csv")
        {
            problems.Add($"'{listed.Name}' is not a table of the tenant data model.");
            return;
        }
        if (listed.Columns.Except(modelColumns).ToList() is { Count: > 0 } unknown)
        {
            problems.Add($"'{listed.Name}' has columns the tenant data model does not: {string.Join(", ", unknown)}.");
            return;
        }
        if (!listed.Columns.Contains("tenant_id") || !listed.Columns.Contains("id"))
        {
            problems.Add($"'{listed.Name}' lacks tenant_id or id.");
            return;
        }
        var entry = archive.GetEntry(listed.Name);
        if (entry is null)
        {
            problems.Add($"'{listed.Name}' is in the manifest but not in the archive.");
            return;
        }
        await using var stream = await entry.OpenAsync(cancellationToken);
        var (sha256, records, header) = await ReadCsvAsync(stream, cancellationToken);
        if (sha256 != listed.Sha256)
        {
            problems.Add($"'{listed.Name}' does not match its SHA-256 in the manifest.");
        }
        if (records - 1 != listed.Rows)
        {
            problems.Add($"'{listed.Name}' holds {Math.Max(records - 1, 0)} rows; the manifest says {listed.Rows}.");
        }
        if (header != string.Join(',', listed.Columns))
        {
            problems.Add($"'{listed.Name}' has the header '{header}'; the manifest names the columns {string.Join(',', listed.Columns)}.");
        }
    }

    /// <summary>The SHA-256 of the bytes, the count of CSV records (a newline inside quotes does not end one), and the first record.</summary>
    private static async Task<(string Sha256, long Records, string Header)> ReadCsvAsync(Stream stream, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        var header = new List<byte>();
        long records = 0;
        var quoted = false;
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            for (var index = 0; index < read; index++)
            {
                var b = buffer[index];
                if (b == (byte)'"')
                {
                    quoted = !quoted;
                }
                else if (b == (byte)'\n' && !quoted)
                {
                    records++;
                    continue;
                }
                if (records == 0 && header.Count < 4096)
                {
                    header.Add(b);
                }
            }
        }
        return (Convert.ToHexStringLower(hash.GetHashAndReset()), records, Encoding.UTF8.GetString(header.ToArray()).TrimEnd('\r'));
    }
}
