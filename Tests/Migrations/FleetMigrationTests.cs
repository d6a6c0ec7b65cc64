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
        var state = await admin.GetFromJsonAsync<JsonElement>("/admin/migrations?pageSize=200");
        Assert.Equal([previous], state.GetProperty("summary").GetProperty("byVersion").EnumerateObject().Select(version => version.Name).ToArray());
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

        // Forward again while one tenant of each tier is busy: no request may fail.
        var replicas = await Replicas.BaseAddressesAsync(App, "api", expected: 2);
        var workloads = tenants.Select(entry => TenantWorkload.Start(replicas.Select(address => TestTenants.Authorized(address, entry.Tenant.Token)).ToList(), entry.Project)).ToList();
        await MigrateAsync(admin, new { }, expected: "succeeded");
        await Task.Delay(500);
        foreach (var workload in workloads)
        {
            await workload.StopAsync();
            Assert.True(workload.Failures.Count == 0, $"{workload.Failures.Count} requests failed: {string.Join(" | ", workload.Failures.Take(5))}");
        }

        state = await admin.GetFromJsonAsync<JsonElement>("/admin/migrations?pageSize=200");
        Assert.Equal(latest, state.GetProperty("latestVersion").GetString());
        Assert.Equal(3, await LabelColumnsAsync(tenants));
        Assert.Equal([latest], state.GetProperty("summary").GetProperty("byVersion").EnumerateObject().Select(version => version.Name).ToArray());
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
        var failed = await MigrateAsync(admin, new { canary = 0 }, expected: "failed");
        Assert.Contains(schema, failed.GetProperty("error").GetString());
        var targets = (await admin.GetFromJsonAsync<JsonElement>("/admin/migrations?pageSize=200")).GetProperty("targets").GetProperty("items").EnumerateArray().ToList();
        var failedTargets = targets.Where(target => target.GetProperty("state").GetString() == "failed").ToList();
        Assert.Equal([schema], failedTargets.Select(target => target.GetProperty("schema").GetString()!).ToArray());
        Assert.Contains("labels", failedTargets[0].GetProperty("lastError").GetString());
        Assert.All(targets.Where(target => target.GetProperty("schema").GetString() != schema),
            target => Assert.Equal("succeeded", target.GetProperty("state").GetString()));
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
        for (var i = 0; i < 3; i++)
        {
            (await TestTenants.CreateAsync(App, i == 2 ? "enterprise" : "business")).Dispose();
        }
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

        await ProvisionerProcess.KillAndRestartAsync(App);
        await OperationWatch.ReleaseAsync(redis, operationId, "migrating");

        var operation = await OperationWatch.WaitForEndAsync(admin, location);
        Assert.True(operation.GetProperty("status").GetString() == "succeeded", operation.ToString());
        Assert.True(operation.GetProperty("attempts").GetInt32() >= 2, operation.ToString());
        var state = await admin.GetFromJsonAsync<JsonElement>("/admin/migrations?pageSize=200");
        Assert.Equal([latest], state.GetProperty("summary").GetProperty("byVersion").EnumerateObject().Select(version => version.Name).ToArray());
        await using var catalog = await App.OpenAsync("catalog");
        Assert.Equal(0L, await catalog.ScalarAsync<long>("SELECT count(*) FROM target_migrations WHERE operation_id = $1 AND (state <> 'Succeeded' OR attempts <> 1)", operationId));
        Assert.True(await catalog.ScalarAsync<long>("SELECT count(*) FROM target_migrations WHERE operation_id = $1", operationId) >= 4);
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
