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
/// A large tenant's archive streams through the Provisioner both ways: its memory does not grow with
/// the archive. In the stack collection, whose bulk copies run the default statement size, as a
/// deployment's do (the operations collection's few rows per statement would make it thousands).
/// </summary>
[Collection(StackCollection.Name)]
public sealed class LargeArchiveTests(StackFixture stack, Xunit.Abstractions.ITestOutputHelper output)
{
    /// <summary>How much the Provisioner's peak resident memory may grow while it streams an archive.</summary>
    private const long MemoryBound = 48L * 1024 * 1024;

    private DistributedApplication App => stack.App;

    [Fact]
    public async Task A_tenant_of_two_hundred_thousand_rows_exports_and_imports_without_the_Provisioners_memory_growing_with_it()
    {
        using var admin = await App.AdminClientAsync();
        using var tenant = await TestTenants.CreateAsync(App, "business");
        var placement = TestPlacement.From(await TenantAsync(admin, tenant.Id));
        await using (var shared = await placement.OpenAsync(App))
        {
            await shared.ExecuteAsync($"""
                INSERT INTO "{placement.Schema}".projects (tenant_id, id, name, description, created_at, updated_at)
                  SELECT $1, gen_random_uuid(), 'project ' || i, repeat('words ', 20), now(), now() FROM generate_series(1, 500) i
                """, tenant.Id);
            await shared.ExecuteAsync($"""
                INSERT INTO "{placement.Schema}".tasks (tenant_id, id, project_id, title, status, assignee, created_at, updated_at)
                  SELECT $1, gen_random_uuid(), p.id, 'task ' || g || ' of ' || p.name, 'Todo', 'sam', now(), now()
                  FROM "{placement.Schema}".projects p, generate_series(1, 200) g WHERE p.tenant_id = $1
                """, tenant.Id);
            // Each comment carries 1.5 KiB of random bytes as base64, which neither TOAST nor the archive's zip can shrink much:
            // the archive is then several times the memory bound below, so holding it whole could not pass.
            await shared.ExecuteAsync($"""
                INSERT INTO "{placement.Schema}".comments (tenant_id, id, task_id, author, body, created_at)
                  SELECT $1, gen_random_uuid(), t.id, 'sam',
                         'a comment on ' || t.title || ': ' || encode((SELECT string_agg(sha512((t.id::text || k)::bytea), '') FROM generate_series(1, 24) k), 'base64'),
                         now()
                  FROM "{placement.Schema}".tasks t WHERE t.tenant_id = $1
                """, tenant.Id);
        }
        var provisioner = await ProvisionerProcess.CurrentAsync(App);
        var file = Path.GetTempFileName();
        try
        {
            ProvisionerProcess.ResetPeakMemory(provisioner);
            var before = ProvisionerProcess.ResidentBytes(provisioner);
            using (var response = await admin.GetAsync($"/admin/tenants/{tenant.Id}/export", HttpCompletionOption.ResponseHeadersRead))
            await using (var output = File.Create(file))
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                await (await response.Content.ReadAsStreamAsync()).CopyToAsync(output);
            }
            var exportPeak = ProvisionerProcess.PeakResidentBytes(provisioner) - before;

            ProvisionerProcess.ResetPeakMemory(provisioner);
            before = ProvisionerProcess.ResidentBytes(provisioner);
            Guid imported;
            await using (var upload = File.OpenRead(file))
            using (var started = await ArchiveApi.StartImportAsync(admin, upload, AdminApi.NewSlug("large"), "enterprise"))
            {
                Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
                var operation = await OperationWatch.WaitForEndAsync(admin, started.Headers.Location!.ToString(), TimeSpan.FromMinutes(5));
                Assert.True(operation.GetProperty("status").GetString() == "succeeded", operation.ToString());
                imported = Guid.Parse(operation.GetProperty("tenantId").GetString()!);
            }
            var importPeak = ProvisionerProcess.PeakResidentBytes(provisioner) - before;

            var rows = await TestPlacement.From(await TenantAsync(admin, imported)).CountAsync(App, imported);
            Assert.Equal(500 + 100_000 + 100_000, rows["projects"] + rows["tasks"] + rows["comments"]);
            var archiveBytes = new FileInfo(file).Length;
            Assert.True(archiveBytes >= 3 * MemoryBound, $"the archive ({archiveBytes / 1048576} MiB) should be at least three times the memory bound ({MemoryBound / 1048576} MiB)");
            output.WriteLine($"archive {archiveBytes / 1048576.0:0.0} MiB; the Provisioner's peak resident memory grew {exportPeak / 1048576.0:0.0} MiB exporting and " +
                $"{importPeak / 1048576.0:0.0} MiB importing");
            Assert.True(exportPeak < MemoryBound && importPeak < MemoryBound,
                $"the Provisioner's peak memory grew by {exportPeak / 1048576} MiB exporting and {importPeak / 1048576} MiB importing a {archiveBytes / 1048576} MiB archive");
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static async Task<JsonElement> TenantAsync(HttpClient admin, Guid id) => await admin.GetFromJsonAsync<JsonElement>($"/admin/tenants/{id}");
}
