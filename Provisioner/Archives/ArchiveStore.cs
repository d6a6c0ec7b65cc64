using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace TieredTenancy.Provisioner.Archives;

/// <summary>
/// The folder archives live in: <c>offboarded/&lt;tenant&gt;/&lt;operation&gt;.zip</c> for the archives
/// of offboarded tenants (kept for the retention period), <c>imports/&lt;operation&gt;.zip</c> for
/// uploads an import operation is loading. Names come from ids only.
/// </summary>
public sealed class ArchiveStore(IOptions<ArchiveOptions> options)
{
    public TimeSpan Retention => options.Value.Retention;

    public string OffboardedPath(Guid tenantId, Guid operationId) => Prepared(Path.Combine(options.Value.Folder, "offboarded", tenantId.ToString("N")), $"{operationId:N}.zip");

    public string ImportPath(Guid operationId) => Prepared(Path.Combine(options.Value.Folder, "imports"), $"{operationId:N}.zip");

    /// <summary>A stored file's name inside the store (what a certificate names; the store's own place is the deployment's business).</summary>
    public string NameOf(string path) => Path.GetRelativePath(options.Value.Folder, path);

    /// <summary>Writes to <paramref name="path"/> through a temporary file, so a file by that name is always whole; returns its SHA-256 and size.</summary>
    public static async Task<(string Sha256, long Bytes)> WriteAsync(string path, Func<Stream, Task> write, CancellationToken cancellationToken)
    {
        var partial = path + ".partial";
        await using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
        {
            await write(file);
            await file.FlushAsync(cancellationToken);
        }
        File.Move(partial, path, overwrite: true);
        return (await Sha256Async(path, cancellationToken), new FileInfo(path).Length);
    }

    public static async Task<string> Sha256Async(string path, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(file, cancellationToken));
    }

    /// <summary>Archives of offboarded tenants, and uploads of imports, older than the retention period.</summary>
    public IEnumerable<string> Expired(DateTimeOffset now) =>
        new[] { "offboarded", "imports" }
            .Select(folder => Path.Combine(options.Value.Folder, folder))
            .Where(Directory.Exists)
            .SelectMany(folder => Directory.EnumerateFiles(folder, "*.zip", SearchOption.AllDirectories))
            .Where(file => File.GetLastWriteTimeUtc(file) < (now - Retention).UtcDateTime);

    private static string Prepared(string folder, string file)
    {
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, file);
    }
}
