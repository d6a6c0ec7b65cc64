using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using TieredTenancy.Bench.Moves;

namespace TieredTenancy.Bench.Archives;

/// <summary>One tier's figures: export, import and offboarding of one large tenant beside the raw export of its rows.</summary>
public sealed record ArchiveMeasurement(string Tier, long Rows, TimeSpan Raw, TimeSpan Export, long ArchiveBytes, TimeSpan Import, TimeSpan Offboard,
    string ImportStatus, string OffboardStatus);

/// <summary>
/// Per tier: a tenant of the given size seeded straight in SQL; the raw cost of reading its rows out
/// (<c>COPY … TO STDOUT (FORMAT csv)</c> per table, as the archive holds them); then its export through
/// the admin API, the import of that archive as a new tenant of the same plan, and its offboarding.
/// </summary>
public static class ArchiveBenchmark
{
    private static readonly (string Plan, string Tier)[] Plans = [("pro", "row"), ("business", "schema"), ("enterprise", "database")];

    public static async Task<IReadOnlyList<ArchiveMeasurement>> MeasureAsync(BenchStack stack, BenchOptions options)
    {
        using var admin = await stack.AdminClientAsync();
        admin.Timeout = TimeSpan.FromMinutes(10);
        var measurements = new List<ArchiveMeasurement>();
        foreach (var (plan, tier) in Plans)
        {
            var slug = $"arc-{tier}-{Guid.NewGuid():N}"[..28];
            using var created = await admin.PostAsJsonAsync("/admin/tenants", new { slug, name = slug, plan });
            var tenant = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement;
            var tenantId = tenant.GetProperty("id").GetGuid();
            var placement = BenchPlacement.From(tenant);
            Console.Error.WriteLine($"archives: seeding a {tier} tenant of {options.MoveRows} rows...");
            await placement.SeedAsync(stack, tenantId, Math.Max(1, options.MoveRows / 200), options.MoveRows / 2);
            var rows = await placement.CountRowsAsync(stack, tenantId);

            var raw = await RawExportAsync(stack, placement, tenantId);
            var file = Path.GetTempFileName();
            try
            {
                Console.Error.WriteLine($"archives: export, import and offboarding of the {tier} tenant...");
                var clock = Stopwatch.StartNew();
                using (var response = await admin.GetAsync($"/admin/tenants/{tenantId}/export", HttpCompletionOption.ResponseHeadersRead))
                await using (var output = File.Create(file))
                {
                    response.EnsureSuccessStatusCode();
                    await (await response.Content.ReadAsStreamAsync()).CopyToAsync(output);
                }
                var export = clock.Elapsed;

                clock.Restart();
                string importStatus;
                await using (var upload = File.OpenRead(file))
                using (var form = new MultipartFormDataContent())
                {
                    var archive = new StreamContent(upload);
                    archive.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
                    form.Add(archive, "archive", "tenant.zip");
                    form.Add(new StringContent(slug + "-i"), "slug");
                    form.Add(new StringContent("Imported"), "name");
                    form.Add(new StringContent(plan), "plan");
                    using var started = await admin.PostAsync("/admin/tenants/import", form);
                    importStatus = await WaitAsync(admin, started);
                }
                var import = clock.Elapsed;

                clock.Restart();
                using var offboarding = await admin.DeleteAsync($"/admin/tenants/{tenantId}");
                var offboardStatus = await WaitAsync(admin, offboarding);
                measurements.Add(new ArchiveMeasurement(tier, rows, raw, export, new FileInfo(file).Length, import, clock.Elapsed, importStatus, offboardStatus));
            }
            finally
            {
                File.Delete(file);
            }
        }
        return measurements;
    }

    /// <summary>Every table's rows of the tenant out as CSV, read to the end and dropped, as the superuser.</summary>
    private static async Task<TimeSpan> RawExportAsync(BenchStack stack, BenchPlacement placement, Guid tenantId)
    {
        await using var connection = await placement.OpenAsync(stack);
        var clock = Stopwatch.StartNew();
        await using var snapshot = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead);
        var buffer = new char[32 * 1024];
        foreach (var table in BenchPlacement.TablesParentsFirst)
        {
            using var reader = await connection.BeginTextExportAsync(
                $"COPY (SELECT * FROM {placement.Table(table)} WHERE tenant_id = '{tenantId}' ORDER BY id) TO STDOUT (FORMAT csv, HEADER)");
            while (await reader.ReadAsync(buffer.AsMemory()) > 0)
            {
            }
        }
        await snapshot.CommitAsync();
        return clock.Elapsed;
    }

    private static async Task<string> WaitAsync(HttpClient admin, HttpResponseMessage started)
    {
        if (started.StatusCode != HttpStatusCode.Accepted)
        {
            return $"{(int)started.StatusCode}: {await started.Content.ReadAsStringAsync()}";
        }
        while (true)
        {
            var operation = await admin.GetFromJsonAsync<JsonElement>(started.Headers.Location!.ToString());
            if (operation.GetProperty("status").GetString() is not ("pending" or "running"))
            {
                Console.Error.WriteLine($"archives:   {operation.GetProperty("kind").GetString()} phases " + string.Join(", ",
                    operation.GetProperty("phases").EnumerateArray().Select(phase => phase.GetProperty("name").GetString() + " " +
                        ((phase.GetProperty("finishedAt").GetDateTimeOffset() - phase.GetProperty("startedAt").GetDateTimeOffset()).TotalSeconds).ToString("0.00"))));
                return operation.GetProperty("status").GetString()!;
            }
            await Task.Delay(100);
        }
    }
}
