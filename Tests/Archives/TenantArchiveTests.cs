using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using TieredTenancy.Tests.Moves;
using TieredTenancy.Tests.Provisioning;
using TieredTenancy.Tests.Stack;
using TieredTenancy.Tests.TenantPlane;

namespace TieredTenancy.Tests.Archives;

/// <summary>
/// A tenant's data leaves as an archive (a CSV file per table and a manifest with counts and
/// SHA-256), from the control plane or by its own admin, and comes back as a new tenant at any tier
/// with every row and id; an archive that was tampered with is refused before anything is made.
/// </summary>
[Collection(OperationsCollection.Name)]
public sealed class TenantArchiveTests(OperationsFixture stack)
{
    private DistributedApplication App => stack.App;

    [Fact]
    public async Task An_export_imported_at_each_tier_gives_back_every_row_with_its_id()
    {
        using var admin = await App.AdminClientAsync();
        using var source = await SeededTenantAsync("business");
        var archive = await ArchiveApi.ExportAsync(admin, $"/admin/tenants/{source.Id}/export");
        var manifest = ArchiveApi.Manifest(archive);
        Assert.Equal(source.Id.ToString(), manifest["tenant"]!["id"]!.GetValue<string>());
        var counts = manifest["files"]!.AsArray().ToDictionary(file => file!["table"]!.GetValue<string>(), file => file!["rows"]!.GetValue<long>());
        Assert.Equal((1L, (long)SeededTasks, (long)(SeededTasks + 1) / 2), (counts["projects"], counts["tasks"], counts["comments"]));
        Assert.True(counts["audit_entries"] > 0);

        // The tenant's own admin gets the same data, file for file (the manifest's time and its signature differ); a member may not.
        var own = await ArchiveApi.ExportAsync(source.Api, "/tenant/export");
        var ownFiles = ArchiveApi.Files(own);
        Assert.Contains("manifest.sig", ownFiles.Keys);
        foreach (var (name, content) in ArchiveApi.Files(archive).Where(file => file.Key is not ("manifest.json" or "manifest.sig")))
        {
            Assert.Equal(content, ownFiles[name]);
        }
        var (memberId, memberSecret) = await admin.CreateClientAsync(source.Id.ToString(), "member");
        using (var member = App.Authorized("api", await App.TokenAsync(memberId, memberSecret)))
        using (var refused = await member.GetAsync("/tenant/export"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        }

        var sourceRows = await TestPlacement.From(await TenantAsync(admin, source.Id)).RowsAsync(App, source.Id);
        foreach (var plan in new[] { "pro", "business", "enterprise" })
        {
            var imported = await ArchiveApi.ImportAsync(admin, archive, AdminApi.NewSlug("imp"), plan);
            var tenant = await TenantAsync(admin, imported);
            Assert.Equal(("active", TestTenants.IsolationOf(plan)), (tenant.GetProperty("status").GetString(), tenant.GetProperty("isolation").GetString()));
            var rows = await TestPlacement.From(tenant).RowsAsync(App, imported);
            foreach (var (table, expected) in sourceRows)
            {
                // The same rows, ids included; only the tenant is the new one.
                Assert.Equal(expected.Select(row => row.Replace(source.Id.ToString(), imported.ToString())).ToList(), rows[table]);
            }
        }
    }

    public static TheoryData<string> Tamperings() => new()
    {
        "a changed byte", "a missing file", "a wrong count", "a truncated archive", "an extra file",
        "an edited file with its hash and count recomputed in the manifest", "a removed signature", "a signature from another archive",
    };

    [Theory]
    [MemberData(nameof(Tamperings))]
    public async Task A_tampered_archive_is_refused_with_400_and_creates_nothing(string tampering)
    {
        using var admin = await App.AdminClientAsync();
        using var source = await SeededTenantAsync("pro");
        var archive = await ArchiveApi.ExportAsync(admin, $"/admin/tenants/{source.Id}/export");
        var tampered = tampering switch
        {
            "a changed byte" => ArchiveApi.Rewrite(archive, (name, content) => name == "tasks.csv" ? content.Replace("task 1", "task 7") : content),
            "a missing file" => ArchiveApi.Rewrite(archive, (name, content) => name == "comments.csv" ? null : content),
            "a wrong count" => ArchiveApi.Rewrite(archive, (name, content) => name == "manifest.json" ? ArchiveApi.WithRows(content, "projects.csv", 2) : content),
            "an extra file" => AddEntry(archive, "notes.txt", "not listed in the manifest"),
            "an edited file with its hash and count recomputed in the manifest" => WithForgedTask(archive),
            "a removed signature" => ArchiveApi.Rewrite(archive, (name, content) => name == "manifest.sig" ? null : content),
            "a signature from another archive" => await WithSignatureOfAnotherExportAsync(admin, archive, source.Id),
            _ => archive[..(archive.Length / 2)],
        };

        var slug = AdminApi.NewSlug("tamper");
        using var response = await ArchiveApi.StartImportAsync(admin, new MemoryStream(tampered), slug, "business");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"a tampered archive ({tampering}) answered {(int)response.StatusCode}: {body}");
        if (tampering.Contains("signature") || tampering.Contains("recomputed"))
        {
            // Refused for its signature: the hashes and counts it lists are not even believed.
            Assert.Contains("signature", body);
        }
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("archive", JsonDocument.Parse(body).RootElement.GetProperty("errors").EnumerateObject().Select(error => error.Name));
        await using var catalog = await App.OpenAsync("catalog");
        Assert.Equal(0L, await catalog.ScalarAsync<long>("SELECT count(*) FROM tenants WHERE slug = $1", slug));
        Assert.Equal(0L, await catalog.ScalarAsync<long>("SELECT count(*) FROM operations WHERE kind = 'Import' AND parameters->>'slug' = $1", slug));
    }

    /// <summary>More tasks than the operations collection's RowsPerStatement: the export and the import take several statements.</summary>
    private const int SeededTasks = 2 * OperationsFixture.RowsPerStatement + 1;

    /// <summary>A tenant with one project, <see cref="SeededTasks"/> tasks, and a comment on every other task.</summary>
    private async Task<TestTenant> SeededTenantAsync(string plan)
    {
        var tenant = await TestTenants.CreateAsync(App, plan);
        var project = (await tenant.CreateProjectAsync("archived project")).GetProperty("id").GetString()!;
        for (var i = 0; i < SeededTasks; i++)
        {
            using var created = await tenant.Api.PostAsJsonAsync($"/projects/{project}/tasks",
                new { title = $"task {i}, with \"quotes\" and, commas", priority = i % 2 == 0 ? "high" : "low", labels = new[] { "a", $"l{i}" }, dueOn = "2027-03-01" });
            var task = (await TestTenant.ExpectAsync(created, HttpStatusCode.Created)).GetProperty("id").GetString()!;
            if (i % 2 == 0)
            {
                await tenant.CreateCommentAsync(task, $"comment {i} ✓ ünïcode, \"quoted\",\nover two lines");
            }
        }
        return tenant;
    }

    private static async Task<JsonElement> TenantAsync(HttpClient admin, Guid id) => await admin.GetFromJsonAsync<JsonElement>($"/admin/tenants/{id}");

    /// <summary>A task's title changed in tasks.csv, and the file's SHA-256 in manifest.json made to match: only the signature can tell.</summary>
    private static byte[] WithForgedTask(byte[] archive)
    {
        var forged = ArchiveApi.Files(archive)["tasks.csv"].Replace("task 1", "task 7");
        var sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(forged)));
        return ArchiveApi.Rewrite(archive, (name, content) => name switch
        {
            "tasks.csv" => forged,
            "manifest.json" => ArchiveApi.WithSha256(content, "tasks.csv", sha256),
            _ => content,
        });
    }

    /// <summary>The archive with the signature of another export of the same tenant (a manifest of another time).</summary>
    private static async Task<byte[]> WithSignatureOfAnotherExportAsync(HttpClient admin, byte[] archive, Guid tenantId)
    {
        var other = ArchiveApi.Files(await ArchiveApi.ExportAsync(admin, $"/admin/tenants/{tenantId}/export"))["manifest.sig"];
        Assert.NotEqual(ArchiveApi.Files(archive)["manifest.sig"], other);
        return ArchiveApi.Rewrite(archive, (name, content) => name == "manifest.sig" ? other : content);
    }

    private static byte[] AddEntry(byte[] archive, string name, string content)
    {
        var output = new MemoryStream();
        output.Write(archive);
        using (var zip = new System.IO.Compression.ZipArchive(output, System.IO.Compression.ZipArchiveMode.Update, leaveOpen: true))
        using (var writer = new StreamWriter(zip.CreateEntry(name).Open()))
        {
            writer.Write(content);
        }
        return output.ToArray();
    }
}
