using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using TieredTenancy.Tests.Moves;
using TieredTenancy.Tests.Stack;
using TieredTenancy.Tests.TenantPlane;

namespace TieredTenancy.Tests.Migrations;

/// <summary>
/// A new version of the tenant data model reaches every storage target (shared tables, tenant
/// schemas, tenant databases, templates) as one tracked operation; it can be rolled back by down
/// steps and forward again; a failing target is named while the others go on; a killed Provisioner
/// resumes it; and the Api serves every tenant at whichever version its storage is.
/// </summary>
[Collection(OperationsCollection.Name)]
public sealed class FleetMigrationTests(OperationsFixture stack)
{
    private DistributedApplication App => stack.App;

    [Fact]
    public async Task Back_to_the_previous_version_and_forward_again_the_data_stays_and_the_new_fields_work_in_every_tier()
    {
        using var admin = await App.AdminClientAsync();
        var tenants = await SeededTenantsAsync();
        var before = await SnapshotAsync(tenants);
        var (latest, previous) = await VersionsAsync(admin);

        await MigrateAsync(admin, new { targetVersion = previous, canary = 1 }, expected: "succeeded");
        Assert.All(await TargetsAsync(tenants.Select(entry => entry.Tenant.Id)), target => Assert.Equal(previous, target.Version));
        // The down steps really ran: the columns are gone from the shared tables, a tenant schema and a tenant database.
        Assert.Equal(0, await LabelColumnsAsync(tenants));
        foreach (var (tenant, project) in tenants)
        {
            // The old shape: no priority or labels in answers, a clear 409 for asking for them, everything else works.
            var listed = await tenant.Api.GetFromJsonAsync<JsonElement>($"/projects/{project}/tasks");
            Assert.All(listed.GetProperty("items").EnumerateArray(), task => Assert.False(task.TryGetProperty("priority", out _)));
            using (var filtered = await tenant.Api.GetAsync($"/projects/{project}/tasks?label=urgent"))
            {
                Assert.Equal(HttpStatusCode.Conflict, filtered.StatusCode);
            }
            using (var withPriority = await tenant.Api.PostAsJsonAsync($"/projects/{project}/tasks", new { title = "high", priority = "high" }))
            {
                Assert.Equal(HttpStatusCode.Conflict, withPriority.StatusCode);
                Assert.Equal("application/problem+json", withPriority.Content.Headers.ContentType?.MediaType);
            }
            await tenant.Api.CreateTaskAsync(project, "written at the old version");
        }

        // Forward again while one tenant of each tier is busy: no request may fail. Paused once the shared tables and the
        // templates are migrated and the tenants' own storage is not yet, so the workloads provably run across versions.
        var replicas = await Replicas.BaseAddressesAsync(App, "api", expected: 2);
        var workloads = tenants.Select(entry => TenantWorkload.Start(replicas.Select(address => TestTenants.Authorized(address, entry.Tenant.Token)).ToList(), entry.Project)).ToList();
        var redis = await OperationWatch.RedisAsync(App);
        var location = await StartMigrationAsync(admin, new { canary = 0 }, "pause:migrating");
        await OperationWatch.WaitUntilPausedAsync(redis, OperationWatch.IdOf(location), "migrating");
        foreach (var workload in workloads)
        {
            await workload.WaitForMoreAsync(writes: 5, reads: 5, TimeSpan.FromSeconds(60));
        }
        await OperationWatch.ReleaseAsync(redis, OperationWatch.IdOf(location), "migrating");
        var forward = await OperationWatch.WaitForEndAsync(admin, location);
        Assert.True(forward.GetProperty("status").GetString() == "succeeded", forward.ToString());
        var (startedAt, finishedAt) = OperationWatch.Interval(forward);
        foreach (var workload in workloads)
        {
            await workload.WaitForMoreAsync(writes: 2, reads: 2, TimeSpan.FromSeconds(60));
            await workload.StopAsync();
            Assert.True(workload.Failures.Count == 0, $"{workload.Failures.Count} requests failed: {string.Join(" | ", workload.Failures.Take(5))}");
            Assert.True(workload.WritesBetween(startedAt, finishedAt) >= 5 && workload.ReadsBetween(startedAt, finishedAt) >= 5,
                $"the workload overlapped the migration too little: {workload.WritesBetween(startedAt, finishedAt)} writes, {workload.ReadsBetween(startedAt, finishedAt)} reads");
        }

        var state = await admin.GetFromJsonAsync<JsonElement>("/admin/migrations?pageSize=1");
        Assert.Equal(latest, state.GetProperty("latestVersion").GetString());
        Assert.Equal(3, await LabelColumnsAsync(tenants));
        Assert.All(await TargetsAsync(tenants.Select(entry => entry.Tenant.Id)), target => Assert.Equal(latest, target.Version));
        var after = await SnapshotAsync(tenants);
        foreach (var (tenant, rows) in before)
        {
            // Everything there before is there after, unchanged (the writers only added to it).
            Assert.Subset(after[tenant].ToHashSet(), rows.ToHashSet());
        }
        foreach (var ((tenant, project), workload) in tenants.Zip(workloads))
        {
            await workload.AssertEveryAcknowledgedWriteIsPresentAsync(tenant.Api, project);
            using var created = await tenant.Api.PostAsJsonAsync($"/projects/{project}/tasks", new { title = "with labels", priority = "high", labels = new[] { "urgent", "q1" } });
            var task = await TestTenant.ExpectAsync(created, HttpStatusCode.Created);
            Assert.Equal("high", task.GetProperty("priority").GetString());
            var urgent = await tenant.Api.GetFromJsonAsync<JsonElement>($"/projects/{project}/tasks?label=urgent&priority=high");
            Assert.Equal([task.GetProperty("id").GetString()!], urgent.GetProperty("items").EnumerateArray().Select(item => item.GetProperty("id").GetString()!).ToArray());
            var plain = await tenant.Api.GetFromJsonAsync<JsonElement>($"/projects/{project}/tasks?pageSize=200");
            Assert.All(plain.GetProperty("items").EnumerateArray(), item => Assert.True(item.TryGetProperty("labels", out _)));
            Assert.Contains(plain.GetProperty("items").EnumerateArray(), item => item.GetProperty("priority").GetString() == "normal");
        }
        tenants.ForEach(entry => entry.Tenant.Dispose());
    }

    [Fact]
    public async Task A_target_that_fails_is_named_the_others_go_on_and_a_resume_finishes_it()
    {
        using var admin = await App.AdminClientAsync();
        var (_, previous) = await VersionsAsync(admin);
        using var broken = await TestTenants.CreateAsync(App, "business");
        using var healthy = await TestTenants.CreateAsync(App, "business");
        await MigrateAsync(admin, new { targetVersion = previous, canary = 0 }, expected: "succeeded");

        // An object in the way of the next migration, in one tenant's schema only.
        var schema = $"t_{broken.Id:N}";
        await using (var shared = await App.OpenAsync("tenants"))
        {
            await shared.ExecuteAsync($"ALTER TABLE \"{schema}\".tasks ADD COLUMN labels integer");
        }
        // Both tenants busy while it fails: the failure is the broken target's alone, and no request of either tenant fails.
        var replicas = await Replicas.BaseAddressesAsync(App, "api", expected: 2);
        var projects = new List<(TestTenant Tenant, string Project)>();
        foreach (var tenant in new[] { broken, healthy })
        {
            projects.Add((tenant, (await tenant.CreateProjectAsync("busy")).GetProperty("id").GetString()!));
        }
        var workloads = projects.Select(entry => TenantWorkload.Start(replicas.Select(address => TestTenants.Authorized(address, entry.Tenant.Token)).ToList(), entry.Project)).ToList();
        var redis = await OperationWatch.RedisAsync(App);
        var location = await StartMigrationAsync(admin, new { canary = 0 }, "pause:migrating");
        await OperationWatch.WaitUntilPausedAsync(redis, OperationWatch.IdOf(location), "migrating");
        foreach (var workload in workloads)
        {
            await workload.WaitForMoreAsync(writes: 5, reads: 5, TimeSpan.FromSeconds(60));
        }
        await OperationWatch.ReleaseAsync(redis, OperationWatch.IdOf(location), "migrating");
        var failed = await OperationWatch.WaitForEndAsync(admin, location);
        Assert.True(failed.GetProperty("status").GetString() == "failed", failed.ToString());
        Assert.Contains(schema, failed.GetProperty("error").GetString());
        foreach (var ((busyTenant, busyProject), workload) in projects.Zip(workloads))
        {
            await workload.WaitForMoreAsync(writes: 2, reads: 2, TimeSpan.FromSeconds(60));
            await workload.StopAsync();
            Assert.True(workload.Failures.Count == 0, $"{workload.Failures.Count} requests failed: {string.Join(" | ", workload.Failures.Take(5))}");
            await workload.AssertEveryAcknowledgedWriteIsPresentAsync(busyTenant.Api, busyProject);
        }
        var targets = await TargetsAsync([broken.Id, healthy.Id]);
        var failedTargets = targets.Where(target => target.State == "Failed").ToList();
        Assert.Equal([schema], failedTargets.Select(target => target.Schema).ToArray());
        Assert.Contains("labels", failedTargets[0].Error);
        Assert.All(targets.Where(target => target.Schema != schema), target => Assert.Equal("Succeeded", target.State));
        using (var listed = await healthy.Api.GetAsync("/projects"))
        {
            Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        }

        await using (var shared = await App.OpenAsync("tenants"))
        {
            await shared.ExecuteAsync($"ALTER TABLE \"{schema}\".tasks DROP COLUMN labels");
        }
        using var resume = await admin.PostAsync($"/admin/operations/{failed.GetProperty("id").GetString()}/resume", null);
        Assert.Equal(HttpStatusCode.Accepted, resume.StatusCode);
        var resumed = await OperationWatch.WaitForEndAsync(admin, resume.Headers.Location!.ToString());
        Assert.True(resumed.GetProperty("status").GetString() == "succeeded", resumed.ToString());
        var project = (await broken.CreateProjectAsync("after the fix")).GetProperty("id").GetString()!;
        using var labelled = await broken.Api.PostAsJsonAsync($"/projects/{project}/tasks", new { title = "labelled", labels = new[] { "fixed" } });
        Assert.Equal(HttpStatusCode.Created, labelled.StatusCode);
    }

    [Fact]
    public async Task A_Provisioner_killed_mid_migration_resumes_it_at_restart_and_migrates_no_target_twice()
    {
        using var admin = await App.AdminClientAsync();
        var redis = await OperationWatch.RedisAsync(App);
        var (latest, previous) = await VersionsAsync(admin);
        var own = new List<Guid>();
        for (var i = 0; i < 2; i++)
        {
            using var tenant = await TestTenants.CreateAsync(App, i == 1 ? "enterprise" : "business");
            own.Add(tenant.Id);
        }
        // One tenant's users go on working through the crash and the recovery.
        using var busy = await TestTenants.CreateAsync(App, "business");
        own.Add(busy.Id);
        var busyProject = (await busy.CreateProjectAsync("busy through the crash")).GetProperty("id").GetString()!;
        await MigrateAsync(admin, new { targetVersion = previous, canary = 0 }, expected: "succeeded");

        using var request = new HttpRequestMessage(HttpMethod.Post, "/admin/migrations")
        {
            Content = JsonContent.Create(new { canary = 1 }),
            Headers = { { "X-Fault-Injection", "pause:migrating" } },
        };
        using var started = await admin.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var location = started.Headers.Location!.ToString();
        var operationId = OperationWatch.IdOf(location);
        await OperationWatch.WaitUntilPausedAsync(redis, operationId, "migrating");
        var replicas = await Replicas.BaseAddressesAsync(App, "api", expected: 2);
        await using var workload = TenantWorkload.Start(replicas.Select(address => TestTenants.Authorized(address, busy.Token)).ToList(), busyProject);
        await workload.WaitForMoreAsync(writes: 5, reads: 5, TimeSpan.FromSeconds(60));

        await ProvisionerProcess.KillAndRestartAsync(App);
        await workload.WaitForMoreAsync(writes: 5, reads: 5, TimeSpan.FromSeconds(60));
        await OperationWatch.ReleaseAsync(redis, operationId, "migrating");

        var operation = await OperationWatch.WaitForEndAsync(admin, location);
        Assert.True(operation.GetProperty("status").GetString() == "succeeded", operation.ToString());
        Assert.True(operation.GetProperty("attempts").GetInt32() >= 2, operation.ToString());
        await workload.WaitForMoreAsync(writes: 2, reads: 2, TimeSpan.FromSeconds(60));
        await workload.StopAsync();
        Assert.True(workload.Failures.Count == 0, $"{workload.Failures.Count} requests failed: {string.Join(" | ", workload.Failures.Take(5))}");
        await workload.AssertEveryAcknowledgedWriteIsPresentAsync(busy.Api, busyProject);
        Assert.All(await TargetsAsync(own), target => Assert.Equal(latest, target.Version));
        await using var catalog = await App.OpenAsync("catalog");
        Assert.Equal(0L, await catalog.ScalarAsync<long>("SELECT count(*) FROM target_migrations WHERE operation_id = $1 AND (state <> 'Succeeded' OR attempts <> 1)", operationId));
        Assert.Equal(3L, await catalog.ScalarAsync<long>("SELECT count(*) FROM target_migrations WHERE operation_id = $1 AND tenant_id = ANY($2)", operationId, own.ToArray()));
    }

    private sealed record Target(Guid? TenantId, string Schema, string Version, string? State, string? Error);

    /// <summary>
    /// The storage targets a test owns (its tenants') and the platform's (shared tables and templates), with the state of
    /// their latest migration, read from the catalog: what other tests left in the stack is not counted.
    /// </summary>
    private async Task<List<Target>> TargetsAsync(IEnumerable<Guid> tenantIds)
    {
        var ids = tenantIds.ToArray();
        await using var catalog = await App.OpenAsync("catalog");
        await using var command = new Npgsql.NpgsqlCommand("""
            SELECT t.tenant_id, t.schema, t.migration_version, m.state, m.error
            FROM storage_targets t
            LEFT JOIN LATERAL (SELECT state, error FROM target_migrations WHERE target_id = t.id ORDER BY operation_id DESC LIMIT 1) m ON true
            WHERE t.tenant_id IS NULL OR t.tenant_id = ANY($1)
            """, catalog);
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = ids });
        var targets = new List<Target>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            targets.Add(new Target(reader.IsDBNull(0) ? null : reader.GetGuid(0), reader.GetString(1), reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4)));
        }
        // Every tenant of the three tiers has its own target but the row tier's; the platform's are always there.
        Assert.Contains(targets, target => target.TenantId is null);
        return targets;
    }

    private static async Task<string> StartMigrationAsync(HttpClient admin, object body, string faultPlan)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/admin/migrations") { Content = JsonContent.Create(body), Headers = { { "X-Fault-Injection", faultPlan } } };
        using var started = await admin.SendAsync(request);
        Assert.True(started.StatusCode == HttpStatusCode.Accepted, $"POST /admin/migrations answered {(int)started.StatusCode}: {await started.Content.ReadAsStringAsync()}");
        return started.Headers.Location!.ToString();
    }

    /// <summary>How many of the three tenants' task tables (shared, schema, database) have a labels column.</summary>
    private async Task<int> LabelColumnsAsync(List<(TestTenant Tenant, string Project)> tenants)
    {
        const string Sql = "SELECT count(*) FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'tasks' AND column_name = 'labels'";
        await using var shared = await App.OpenAsync("tenants");
        var columns = await shared.ScalarAsync<long>(Sql, "public") + await shared.ScalarAsync<long>(Sql, $"t_{tenants[1].Tenant.Id:N}");
        using var admin = await App.AdminClientAsync();
        var server = (await admin.GetFromJsonAsync<JsonElement>($"/admin/tenants/{tenants[2].Tenant.Id}")).GetProperty("placement").GetProperty("server").GetString()!;
        await using var dedicated = await App.OpenAsync(server, $"tdb_{tenants[2].Tenant.Id:N}");
        return (int)(columns + await dedicated.ScalarAsync<long>(Sql, "public"));
    }

    /// <summary>A tenant per tier, each with a project of tasks and comments.</summary>
    private async Task<List<(TestTenant Tenant, string Project)>> SeededTenantsAsync()
    {
        var tenants = new List<(TestTenant, string)>();
        foreach (var plan in new[] { "pro", "business", "enterprise" })
        {
            var tenant = await TestTenants.CreateAsync(App, plan);
            var project = (await tenant.CreateProjectAsync($"{plan} project")).GetProperty("id").GetString()!;
            for (var i = 0; i < 5; i++)
            {
                var task = (await tenant.CreateTaskAsync(project, $"{plan} task {i}")).GetProperty("id").GetString()!;
                await tenant.CreateCommentAsync(task, $"comment {i}");
            }
            tenants.Add((tenant, project));
        }
        return tenants;
    }

    /// <summary>What the Api shows of each tenant's tasks and comments, without the fields a migration adds.</summary>
    private static async Task<Dictionary<Guid, List<string>>> SnapshotAsync(List<(TestTenant Tenant, string Project)> tenants)
    {
        var rows = new Dictionary<Guid, List<string>>();
        foreach (var (tenant, project) in tenants)
        {
            var listed = await tenant.Api.GetFromJsonAsync<JsonElement>($"/projects/{project}/tasks?pageSize=200");
            var tenantRows = new List<string>();
            foreach (var task in listed.GetProperty("items").EnumerateArray())
            {
                tenantRows.Add("task|" + string.Join("|", new[] { "id", "title", "status", "assignee", "dueOn", "createdAt", "updatedAt" }
                    .Select(field => task.GetProperty(field).ToString())));
                var comments = await tenant.Api.GetFromJsonAsync<JsonElement>($"/tasks/{task.GetProperty("id").GetString()}/comments");
                tenantRows.AddRange(comments.GetProperty("items").EnumerateArray().Select(comment => $"comment|{comment}"));
            }
            rows[tenant.Id] = tenantRows;
        }
        return rows;
    }

    private static async Task<(string Latest, string Previous)> VersionsAsync(HttpClient admin)
    {
        var state = await admin.GetFromJsonAsync<JsonElement>("/admin/migrations?pageSize=1");
        var versions = state.GetProperty("versions").EnumerateArray().Select(version => version.GetString()!).ToList();
        return (versions[^1], versions[^2]);
    }

    private static async Task<JsonElement> MigrateAsync(HttpClient admin, object body, string expected)
    {
        using var started = await admin.PostAsJsonAsync("/admin/migrations", body);
        var text = await started.Content.ReadAsStringAsync();
        Assert.True(started.StatusCode == HttpStatusCode.Accepted, $"POST /admin/migrations answered {(int)started.StatusCode}: {text}");
        Assert.Equal("migrate", JsonDocument.Parse(text).RootElement.GetProperty("kind").GetString());
        var operation = await OperationWatch.WaitForEndAsync(admin, started.Headers.Location!.ToString());
        Assert.True(operation.GetProperty("status").GetString() == expected, operation.ToString());
        return operation;
    }
}
