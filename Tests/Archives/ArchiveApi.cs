using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TieredTenancy.Tests.Moves;

namespace TieredTenancy.Tests.Archives;

/// <summary>Exports and imports as the tests drive them, and the archives they take apart.</summary>
public static class ArchiveApi
{
    public static async Task<byte[]> ExportAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        Assert.Equal("application/zip", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadAsByteArrayAsync();
    }

    /// <summary>POST /admin/tenants/import with the archive as a file part.</summary>
    public static async Task<HttpResponseMessage> StartImportAsync(HttpClient admin, Stream archive, string slug, string plan)
    {
        using var form = new MultipartFormDataContent();
        var file = new StreamContent(archive);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        form.Add(file, "archive", "tenant.zip");
        form.Add(new StringContent(slug), "slug");
        form.Add(new StringContent($"Imported {slug}"), "name");
        form.Add(new StringContent(plan), "plan");
        return await admin.PostAsync("/admin/tenants/import", form);
    }

    /// <summary>Imports and waits: the new tenant's id.</summary>
    public static async Task<Guid> ImportAsync(HttpClient admin, byte[] archive, string slug, string plan)
    {
        using var started = await StartImportAsync(admin, new MemoryStream(archive), slug, plan);
        var body = await started.Content.ReadAsStringAsync();
        Assert.True(started.StatusCode == HttpStatusCode.Accepted, $"import answered {(int)started.StatusCode}: {body}");
        var operation = await OperationWatch.WaitForEndAsync(admin, started.Headers.Location!.ToString());
        Assert.True(operation.GetProperty("status").GetString() == "succeeded", operation.ToString());
        return Guid.Parse(operation.GetProperty("tenantId").GetString()!);
    }

    public static JsonObject Manifest(byte[] archive)
    {
        using var zip = new ZipArchive(new MemoryStream(archive), ZipArchiveMode.Read);
        using var reader = new StreamReader(zip.GetEntry("manifest.json")!.Open());
        return JsonNode.Parse(reader.ReadToEnd())!.AsObject();
    }

    public static Dictionary<string, string> Files(byte[] archive)
    {
        using var zip = new ZipArchive(new MemoryStream(archive), ZipArchiveMode.Read);
        return zip.Entries.ToDictionary(entry => entry.FullName, entry =>
        {
            using var reader = new StreamReader(entry.Open(), Encoding.UTF8);
            return reader.ReadToEnd();
        });
    }

    /// <summary>The same archive with its entries as <paramref name="change"/> leaves them (null removes one).</summary>
    public static byte[] Rewrite(byte[] archive, Func<string, string, string?> change)
    {
        var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content) in Files(archive))
            {
                if (change(name, content) is { } changed)
                {
                    using var writer = new StreamWriter(zip.CreateEntry(name).Open(), new UTF8Encoding(false));
                    writer.Write(changed);
                }
            }
        }
        return output.ToArray();
    }

    public static string WithRows(string manifest, string file, long rows) => WithFileProperty(manifest, file, "rows", rows);

    public static string WithSha256(string manifest, string file, string sha256) => WithFileProperty(manifest, file, "sha256", sha256);

    private static string WithFileProperty(string manifest, string file, string property, JsonNode value)
    {
        var json = JsonNode.Parse(manifest)!.AsObject();
        foreach (var entry in json["files"]!.AsArray())
        {
            if (entry!["name"]!.GetValue<string>() == file)
            {
                entry[property] = value;
            }
        }
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }
}
