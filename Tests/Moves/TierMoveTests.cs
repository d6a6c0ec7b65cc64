using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using TieredTenancy.Tenancy.Storage;
using TieredTenancy.Tests.Provisioning;
using TieredTenancy.Tests.Stack;
using TieredTenancy.Tests.TenantPlane;
using Xunit.Abstractions;

namespace TieredTenancy.Tests.Moves;

/// <summary>
/// Plan changes across isolation tiers move the tenant's data online: in every direction, with
/// writers and readers on both Api replicas throughout, no request fails and no acknowledged write
/// is lost; the old placement is fenced in PostgreSQL and then removed.
/// </summary>
[Collection(OperationsCollection.Name)]
public sealed class TierMoveTests(OperationsFixture stack, ITestOutputHelper output)
{
    private DistributedApplication App => stack.App;

    [Theory]
    [InlineData("pro", "business")]
    [InlineData("pro", "enterprise")]
    [InlineData("business", "pro")]
    [InlineData("business", "enterprise")]
    [InlineData("enterprise", "pro")]
    [InlineData("enterprise", "business")]
    public async Task A_move_keeps_every_acknowledged_write_fails_no_request_and_leaves_nothing_at_the_old_placement(string from, string to)
    {
        using var admin = await App.AdminClientAsync();
        var redis = await OperationWatch.RedisAsync(App);
        var (tenant, project, replicas) = await SeededTenantAsync(from);
        var before = TestPlacement.From(await GetTenantAsync(admin, tenant.Id));

        await using var workload = TenantWorkload.Start(replicas, project);
        await workload.WaitForMoreAsync(writes: 5, reads: 5, TimeSpan.FromSeconds(60));
        var location = await StartMoveAsync(admin, tenant.Id, to, "pause:copied,pause:verified");
        var operationId = OperationWatch.IdOf(location);

        // Copied at one snapshot, change capture on: the workload goes on against the source, and the move must catch it up.
        await OperationWatch.WaitUntilPausedAsync(redis, operationId, "copied");
        await workload.WaitForMoreAsync(writes: 10, reads: 10, TimeSpan.FromSeconds(60));
        await OperationWatch.ReleaseAsync(redis, operationId, "copied");

        // Frozen and verified, just before the flip: the test's own comparison of every row, both sides.
        await OperationWatch.WaitUntilPausedAsync(redis, operationId, "verified");
        var moving = await GetTenantAsync(admin, tenant.Id);
        Assert.Equal("moving", moving.GetProperty("status").GetString());
        Assert.Equal(operationId.ToString(), moving.GetProperty("operation").GetProperty("id").GetString());
        var reported = await admin.GetFromJsonAsync<JsonElement>(location);
        var target = TestPlacement.Parse(reported.GetProperty("report").GetProperty("to").GetString()!);
        var sourceRows = await before.RowsAsync(App, tenant.Id);
        var targetRows = await target.RowsAsync(App, tenant.Id);
        foreach (var (table, rows) in sourceRows)
        {
            Assert.True(rows.SequenceEqual(targetRows[table]), $"{table}: source has {rows.Count} rows, target {targetRows[table].Count}, and they differ");
        }
        Assert.True(sourceRows["tasks"].Count > 30 && sourceRows["comments"].Count > 0, "the tenant should hold its seeded tasks, comments and the writers' tasks");
        await OperationWatch.ReleaseAsync(redis, operationId, "verified");

        var operation = await OperationWatch.WaitForEndAsync(admin, location);
        Assert.True(operation.GetProperty("status").GetString() == "succeeded", operation.ToString());
        // Writes and reads go on at the new placement after the flip.
        await workload.WaitForMoreAsync(writes: 5, reads: 5, TimeSpan.FromSeconds(60));
        await workload.StopAsync();

        Assert.True(workload.Failures.Count == 0, $"{workload.Failures.Count} requests failed: {string.Join(" | ", workload.Failures.Take(5))}");
        var (startedAt, finishedAt) = OperationWatch.Interval(operation);
        var (writesDuring, readsDuring) = (workload.WritesBetween(startedAt, finishedAt), workload.ReadsBetween(startedAt, finishedAt));
        Assert.True(writesDuring >= 10 && readsDuring >= 10, $"the workload overlapped the move too little: {writesDuring} writes, {readsDuring} reads during it");
        foreach (var replica in replicas)
        {
            await workload.AssertEveryAcknowledgedWriteIsPresentAsync(replica, project);
            // The moved tenant sees exactly its own data, and nothing of anyone else's.
            var listed = await replica.GetFromJsonAsync<JsonElement>($"/projects/{project}/tasks?pageSize=200");
            Assert.All(listed.GetProperty("items").EnumerateArray(), task => Assert.Equal(tenant.Id.ToString(), task.GetProperty("tenantId").GetString()));
            Assert.Equal(2, (await replica.GetFromJsonAsync<JsonElement>("/projects")).GetProperty("total").GetInt32());
        }

        var after = await GetTenantAsync(admin, tenant.Id);
        Assert.Equal(to, after.GetProperty("plan").GetString());
        Assert.Equal(TestTenants.IsolationOf(to), after.GetProperty("isolation").GetString());
        Assert.Equal("active", after.GetProperty("status").GetString());
        Assert.False(after.TryGetProperty("operation", out _));
        var placement = TestPlacement.From(after);
        Assert.Equal(before.Epoch + 1, placement.Epoch);
        Assert.Equal(target, placement);
        await before.AssertGoneAsync(App, tenant.Id);

        var report = operation.GetProperty("report");
        foreach (var table in report.GetProperty("tables").EnumerateObject())
        {
            Assert.Equal(table.Value.GetProperty("sourceChangedRows").GetInt64(), table.Value.GetProperty("targetChangedRows").GetInt64());
            Assert.Equal(table.Value.GetProperty("sourceChangedChecksum").ToString(), table.Value.GetProperty("targetChangedChecksum").ToString());
        }
        Assert.True(report.GetProperty("tables").GetProperty("tasks").GetProperty("bulkRows").GetInt64() > 20);
        Assert.True(report.GetProperty("tables").GetProperty("tasks").GetProperty("changedKeys").GetInt32() > 0, "the writers' tasks should have been caught up");
        Assert.Contains(operation.GetProperty("phases").EnumerateArray(), phase => phase.GetProperty("name").GetString() == "frozen");
        await using (var catalog = await App.OpenAsync("catalog"))
        {
            Assert.Equal(1L, await catalog.ScalarAsync<long>("SELECT count(*) FROM audit_events WHERE tenant_id = $1 AND action = 'tenant.move'", tenant.Id));
        }
        output.WriteLine($"{from}→{to}: {workload.Writes} writes, {workload.Reads} reads, longest write {workload.LongestWrite.TotalMilliseconds:0} ms, " +
            $"freeze {report.GetProperty("freezeMilliseconds")} ms (including the test's pause)");
        DisposeAll(tenant, replicas);
    }

    [Theory]
    [InlineData("pro", "business")]
    [InlineData("business", "enterprise")]
    [InlineData("enterprise", "pro")]
    public async Task A_replica_that_missed_the_broadcast_is_refused_by_the_old_placement_serves_the_new_one_and_never_another_tenant(string from, string to)
    {
        using var admin = await App.AdminClientAsync();
        var (tenant, project, replicas) = await SeededTenantAsync(from);
        // A neighbour at the same old placement's tier, which stays where it is.
        using var neighbour = await TestTenants.CreateAsync(App, from);
        var neighbourProject = (await neighbour.CreateProjectAsync("neighbour's")).GetProperty("id").GetString()!;
        var neighbourTask = await neighbour.Api.CreateTaskAsync(neighbourProject, "the neighbour's task");
        var before = TestPlacement.From(await GetTenantAsync(admin, tenant.Id));
        // Both replicas cache the entry (epoch 1, the old placement) before the move.
        foreach (var replica in replicas)
        {
            Assert.Equal(HttpStatusCode.OK, (await replica.GetAsync($"/projects/{project}/tasks")).StatusCode);
        }
        var location = await StartMoveAsync(admin, tenant.Id, to, "skip:broadcast");
        Assert.Equal("succeeded", (await OperationWatch.WaitForEndAsync(admin, location)).GetProperty("status").GetString());
        var after = TestPlacement.From(await GetTenantAsync(admin, tenant.Id));

        // No replica heard of the move; each is refused by the old placement, refreshes and works on the new one.
        var created = new List<string>();
        for (var round = 0; round < 3; round++)
        {
            foreach (var (writer, reader) in new[] { (replicas[0], replicas[1]), (replicas[1], replicas[0]) })
            {
                var task = await writer.CreateTaskAsync(project, $"after the move {round}");
                created.Add(task);
                var renamed = $"renamed after the move {round}";
                using (var update = await writer.PutAsJsonAsync($"/tasks/{task}", new { title = renamed }))
                {
                    Assert.Equal(HttpStatusCode.OK, update.StatusCode);
                }
                var read = await reader.GetFromJsonAsync<JsonElement>($"/tasks/{task}");
                Assert.Equal(renamed, read.GetProperty("title").GetString());
                // Stale or fresh, a replica never lets one tenant reach the other's rows: each other's ids are not found.
                using (var foreign = await reader.GetAsync($"/tasks/{neighbourTask}"))
                {
                    Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
                }
                using (var theirs = await neighbour.Api.GetAsync($"/tasks/{task}"))
                {
                    Assert.Equal(HttpStatusCode.NotFound, theirs.StatusCode);
                }
            }
        }
        // Nothing landed at the old placement, which the move removed (rows, schema and role, or database and login), and the fence refuses its epoch.
        await before.AssertGoneAsync(App, tenant.Id);
        if (before.IsShared)
        {
            await using var shared = await App.OpenAsync("tenants");
            Assert.Equal(before.Epoch, await shared.ScalarAsync<long>("SELECT refused_through_epoch FROM public.tt_placement_fences WHERE tenant_id = $1", tenant.Id));
        }
        var rows = await after.CountAsync(App, tenant.Id);
        Assert.Equal(15L + 5 + created.Count, rows["tasks"]);
        Assert.Equal(HttpStatusCode.OK, (await neighbour.Api.GetAsync($"/tasks/{neighbourTask}")).StatusCode);
        DisposeAll(tenant, replicas);
    }

    [Fact]
    public async Task A_database_tenant_moves_to_another_dedicated_server_through_the_same_machinery()
    {
        using var admin = await App.AdminClientAsync();
        var (tenant, project, replicas) = await SeededTenantAsync("enterprise");
        var before = TestPlacement.From(await GetTenantAsync(admin, tenant.Id));
        var other = before.Server == "postgres-dedicated" ? "postgres-dedicated-2" : "postgres-dedicated";

        await using var workload = TenantWorkload.Start(replicas, project);
        await workload.WaitForMoreAsync(writes: 5, reads: 5, TimeSpan.FromSeconds(60));
        var redis = await OperationWatch.RedisAsync(App);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/admin/tenants/{tenant.Id}/move")
        {
            Content = JsonContent.Create(new { server = other }),
            Headers = { { "X-Fault-Injection", "pause:copied" } },
        };
        using var response = await admin.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var operationId = OperationWatch.IdOf(response.Headers.Location!.ToString());
        await OperationWatch.WaitUntilPausedAsync(redis, operationId, "copied");
        await workload.WaitForMoreAsync(writes: 10, reads: 10, TimeSpan.FromSeconds(60));
        await OperationWatch.ReleaseAsync(redis, operationId, "copied");
        var operation = await OperationWatch.WaitForEndAsync(admin, response.Headers.Location!.ToString());
        Assert.True(operation.GetProperty("status").GetString() == "succeeded", operation.ToString());
        await workload.WaitForMoreAsync(writes: 5, reads: 5, TimeSpan.FromSeconds(60));
        await workload.StopAsync();

        Assert.True(workload.Failures.Count == 0, string.Join(" | ", workload.Failures.Take(5)));
        var (startedAt, finishedAt) = OperationWatch.Interval(operation);
        Assert.True(workload.WritesBetween(startedAt, finishedAt) >= 10, $"only {workload.WritesBetween(startedAt, finishedAt)} writes during the move");
        Assert.True(operation.GetProperty("report").GetProperty("tables").GetProperty("tasks").GetProperty("changedKeys").GetInt32() > 0,
            "the writers' tasks should have been caught up");
        await workload.AssertEveryAcknowledgedWriteIsPresentAsync(replicas[0], project);
        var after = await GetTenantAsync(admin, tenant.Id);
        Assert.Equal(other, TestPlacement.From(after).Server);
        Assert.Equal("enterprise", after.GetProperty("plan").GetString());
        await before.AssertGoneAsync(App, tenant.Id);

        using (var invalid = await admin.PostAsJsonAsync($"/admin/tenants/{tenant.Id}/move", new { server = "elsewhere" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        }
        using (var same = await admin.PostAsJsonAsync($"/admin/tenants/{tenant.Id}/move", new { server = other }))
        {
            Assert.Equal(HttpStatusCode.Conflict, same.StatusCode);
        }
        DisposeAll(tenant, replicas);
    }

    [Fact]
    public async Task A_key_changed_on_the_source_during_a_move_arrives_as_the_new_key_and_leaves_no_row_under_the_old_one()
    {
        using var admin = await App.AdminClientAsync();
        var redis = await OperationWatch.RedisAsync(App);
        using var tenant = await TestTenants.CreateAsync(App, "pro");
        var project = (await tenant.CreateProjectAsync("changing keys")).GetProperty("id").GetString()!;
        var task = (await tenant.CreateTaskAsync(project, "its comment's key changes")).GetProperty("id").GetString()!;
        var oldKey = Guid.Parse((await tenant.CreateCommentAsync(task, "keyed twice")).GetProperty("id").GetString()!);
        var (location, operationId) = await OperationWatch.StartPausedMoveAsync(admin, redis, tenant.Id, "business", "copied");

        // After the bulk copy took the old key: the capture must carry the change of key, not only the new row.
        var newKey = Guid.NewGuid();
        await using (var shared = await App.OpenAsync("tenants"))
        {
            Assert.Equal(1, await shared.ExecuteAsync("UPDATE public.comments SET id = $1 WHERE tenant_id = $2 AND id = $3", newKey, tenant.Id, oldKey));
        }
        await OperationWatch.ReleaseAsync(redis, operationId, "copied");

        var operation = await OperationWatch.WaitForEndAsync(admin, location);
        Assert.True(operation.GetProperty("status").GetString() == "succeeded", operation.ToString());
        var target = TestPlacement.From(await GetTenantAsync(admin, tenant.Id));
        await using var moved = await target.OpenAsync(App);
        Assert.Equal(1L, await moved.ScalarAsync<long>($"SELECT count(*) FROM \"{target.Schema}\".comments WHERE tenant_id = $1 AND id = $2", tenant.Id, newKey));
        Assert.Equal(0L, await moved.ScalarAsync<long>($"SELECT count(*) FROM \"{target.Schema}\".comments WHERE tenant_id = $1 AND id = $2", tenant.Id, oldKey));
        Assert.Equal(1L, await moved.ScalarAsync<long>($"SELECT count(*) FROM \"{target.Schema}\".comments WHERE tenant_id = $1", tenant.Id));
    }

    [Fact]
    public async Task A_freeze_that_ends_before_the_fence_loses_no_write_committed_on_the_source_in_between()
    {
        using var admin = await App.AdminClientAsync();
        var redis = await OperationWatch.RedisAsync(App);
        using var tenant = await TestTenants.CreateAsync(App, "pro");
        var project = (await tenant.CreateProjectAsync("freeze lost")).GetProperty("id").GetString()!;
        await tenant.CreateTaskAsync(project, "before the move");
        var (location, operationId) = await OperationWatch.StartPausedMoveAsync(admin, redis, tenant.Id, "business", "verified");

        // Verified under the freeze, just before the fence: the freeze's session dies (as a dropped connection's would).
        await using (var shared = await App.OpenAsync("tenants"))
        {
            Assert.Equal(1L, await shared.ScalarAsync<long>($"""
                SELECT count(pg_terminate_backend(a.pid)) FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid
                WHERE a.application_name LIKE $1 AND l.locktype = 'advisory' AND l.granted AND l.mode = 'ExclusiveLock' AND l.classid = {AdvisoryLocks.TenantWrites}
                """, $"tt-op:{operationId:N}:%"));
        }
        // Nothing holds the tenant's writes now: this one commits on the source, after the final delta.
        var late = (await tenant.CreateTaskAsync(project, "committed between the freeze and the fence")).GetProperty("id").GetString()!;
        await OperationWatch.ReleaseAsync(redis, operationId, "verified");

        var operation = await OperationWatch.WaitForEndAsync(admin, location);
        Assert.True(operation.GetProperty("status").GetString() == "succeeded", operation.ToString());
        var target = TestPlacement.From(await GetTenantAsync(admin, tenant.Id));
        Assert.Equal("business", (await GetTenantAsync(admin, tenant.Id)).GetProperty("plan").GetString());
        await using (var moved = await target.OpenAsync(App))
        {
            Assert.Equal(1L, await moved.ScalarAsync<long>($"SELECT count(*) FROM \"{target.Schema}\".tasks WHERE tenant_id = $1 AND id = $2", tenant.Id, Guid.Parse(late)));
        }
        Assert.Equal("committed between the freeze and the fence", (await tenant.Api.GetFromJsonAsync<JsonElement>($"/tasks/{late}")).GetProperty("title").GetString());
        Assert.Equal(2, (await tenant.Api.GetFromJsonAsync<JsonElement>($"/projects/{project}/tasks")).GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task A_truncate_of_a_moving_tenants_table_is_refused_until_the_move_ends()
    {
        using var admin = await App.AdminClientAsync();
        var redis = await OperationWatch.RedisAsync(App);
        using var tenant = await TestTenants.CreateAsync(App, "business");
        var project = (await tenant.CreateProjectAsync("not truncated")).GetProperty("id").GetString()!;
        await tenant.CreateTaskAsync(project, "kept");
        var source = TestPlacement.From(await GetTenantAsync(admin, tenant.Id));
        var (location, operationId) = await OperationWatch.StartPausedMoveAsync(admin, redis, tenant.Id, "pro", "copied");

        // No row trigger sees a TRUNCATE: the capture refuses it rather than leave the rows on the target.
        await using (var database = await source.OpenAsync(App))
        {
            var refused = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => database.ExecuteAsync($"TRUNCATE \"{source.Schema}\".tasks CASCADE"));
            Assert.Equal(Npgsql.PostgresErrorCodes.ObjectInUse, refused.SqlState);
            Assert.Contains("cannot be truncated while a tenant of it moves", refused.MessageText);
        }
        await OperationWatch.ReleaseAsync(redis, operationId, "copied");

        var operation = await OperationWatch.WaitForEndAsync(admin, location);
        Assert.True(operation.GetProperty("status").GetString() == "succeeded", operation.ToString());
        Assert.Equal(1, (await tenant.Api.GetFromJsonAsync<JsonElement>($"/projects/{project}/tasks")).GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task A_target_changed_behind_the_movers_back_fails_verification_and_rolls_back()
    {
        using var admin = await App.AdminClientAsync();
        var redis = await OperationWatch.RedisAsync(App);
        var (tenant, project, replicas) = await SeededTenantAsync("pro");
        var location = await StartMoveAsync(admin, tenant.Id, "business", "pause:copied");
        var operationId = OperationWatch.IdOf(location);
        await OperationWatch.WaitUntilPausedAsync(redis, operationId, "copied");

        await using (var shared = await App.OpenAsync("tenants"))
        {
            Assert.Equal(1, await shared.ExecuteAsync(
                $"UPDATE \"t_{tenant.Id:N}\".tasks SET title = 'tampered' WHERE tenant_id = $1 AND id = (SELECT id FROM \"t_{tenant.Id:N}\".tasks ORDER BY id LIMIT 1)", tenant.Id));
        }
        await OperationWatch.ReleaseAsync(redis, operationId, "copied");

        var operation = await OperationWatch.WaitForEndAsync(admin, location);
        Assert.Equal("rolledBack", operation.GetProperty("status").GetString());
        Assert.Contains("does not match", operation.GetProperty("error").GetString());
        var after = await GetTenantAsync(admin, tenant.Id);
        Assert.Equal(("pro", "row", "active", 1L),
            (after.GetProperty("plan").GetString(), after.GetProperty("isolation").GetString(), after.GetProperty("status").GetString(), TestPlacement.From(after).Epoch));
        await new TestPlacement("postgres", "tenants", $"t_{tenant.Id:N}", 2).AssertGoneAsync(App, tenant.Id);
        var tasks = await replicas[0].GetFromJsonAsync<JsonElement>($"/projects/{project}/tasks?pageSize=200");
        Assert.DoesNotContain(tasks.GetProperty("items").EnumerateArray(), task => task.GetProperty("title").GetString() == "tampered");
        await using (var catalog = await App.OpenAsync("catalog"))
        {
            Assert.Equal(1L, await catalog.ScalarAsync<long>("SELECT count(*) FROM audit_events WHERE tenant_id = $1 AND action = 'tenant.move.rolled-back'", tenant.Id));
        }
        DisposeAll(tenant, replicas);
    }

    [Fact]
    public async Task A_downgrade_over_the_new_plans_limits_answers_409_naming_them_unless_forced()
    {
        using var admin = await App.AdminClientAsync();
        using var tenant = await TestTenants.CreateAsync(App, "business");
        for (var i = 0; i < 4; i++)
        {
            await tenant.CreateProjectAsync($"project {i}");
        }
        using (var refused = await admin.PutAsJsonAsync($"/admin/tenants/{tenant.Id}/plan", new { plan = "free" }))
        {
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            var detail = (await refused.JsonAsync()).GetProperty("detail").GetString()!;
            Assert.Contains("allows 3 projects", detail);
            Assert.Contains("has 4", detail);
        }
        Assert.Equal("business", (await GetTenantAsync(admin, tenant.Id)).GetProperty("plan").GetString());

        using var forced = await admin.PutAsJsonAsync($"/admin/tenants/{tenant.Id}/plan", new { plan = "free", force = true });
        Assert.Equal(HttpStatusCode.Accepted, forced.StatusCode);
        Assert.Equal("succeeded", (await OperationWatch.WaitForEndAsync(admin, forced.Headers.Location!.ToString())).GetProperty("status").GetString());
        var projects = await tenant.Api.GetFromJsonAsync<JsonElement>("/projects");
        Assert.Equal(4, projects.GetProperty("total").GetInt32());
        Assert.Equal("free", (await tenant.Api.GetFromJsonAsync<JsonElement>("/tenant")).GetProperty("plan").GetString());
    }

    [Fact]
    public async Task A_moving_tenant_refuses_another_operation_with_409_naming_the_running_one()
    {
        using var admin = await App.AdminClientAsync();
        var redis = await OperationWatch.RedisAsync(App);
        using var tenant = await TestTenants.CreateAsync(App, "business");
        var location = await StartMoveAsync(admin, tenant.Id, "enterprise", "pause:caught-up");
        var operationId = OperationWatch.IdOf(location);
        await OperationWatch.WaitUntilPausedAsync(redis, operationId, "caught-up");

        foreach (var conflicting in new Func<Task<HttpResponseMessage>>[]
        {
            () => admin.PutAsJsonAsync($"/admin/tenants/{tenant.Id}/plan", new { plan = "pro" }),
            () => admin.PutAsJsonAsync($"/admin/tenants/{tenant.Id}/plan", new { plan = "enterprise" }),
            () => admin.PostAsync($"/admin/tenants/{tenant.Id}/suspend", null),
        })
        {
            using var response = await conflicting();
            Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
            Assert.Contains(operationId.ToString(), (await response.JsonAsync()).GetProperty("detail").GetString());
        }
        // Reads and writes go on while it moves.
        var project = (await tenant.CreateProjectAsync("while moving")).GetProperty("id").GetString()!;
        await OperationWatch.ReleaseAsync(redis, operationId, "caught-up");
        Assert.Equal("succeeded", (await OperationWatch.WaitForEndAsync(admin, location)).GetProperty("status").GetString());
        Assert.Equal("while moving", (await tenant.Api.GetFromJsonAsync<JsonElement>($"/projects/{project}")).GetProperty("name").GetString());

        using var resumeSucceeded = await admin.PostAsync($"{location}/resume", null);
        Assert.Equal(HttpStatusCode.Conflict, resumeSucceeded.StatusCode);
    }

    /// <summary>A tenant with two projects (15 and 5 tasks, comments on some), and a client per Api replica.</summary>
    private async Task<(TestTenant Tenant, string Project, IReadOnlyList<HttpClient> Replicas)> SeededTenantAsync(string plan)
    {
        var tenant = await TestTenants.CreateAsync(App, plan);
        var project = (await tenant.CreateProjectAsync("moving project")).GetProperty("id").GetString()!;
        var other = (await tenant.CreateProjectAsync("quiet project")).GetProperty("id").GetString()!;
        for (var i = 0; i < 15; i++)
        {
            var task = (await tenant.CreateTaskAsync(project, $"seeded task {i} with words to search")).GetProperty("id").GetString()!;
            if (i % 3 == 0)
            {
                await tenant.CreateCommentAsync(task, $"comment on {i}");
            }
        }
        for (var i = 0; i < 5; i++)
        {
            await tenant.CreateTaskAsync(other, $"other task {i}");
        }
        var replicas = (await Replicas.BaseAddressesAsync(App, "api", expected: 2)).Select(address => TestTenants.Authorized(address, tenant.Token)).ToList();
        return (tenant, project, replicas);
    }

    private static async Task<string> StartMoveAsync(HttpClient admin, Guid tenantId, string plan, string? faultPlan = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/admin/tenants/{tenantId}/plan") { Content = JsonContent.Create(new { plan }) };
        if (faultPlan is not null)
        {
            request.Headers.Add("X-Fault-Injection", faultPlan);
        }
        using var response = await admin.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"plan change answered {(int)response.StatusCode}: {body}");
        Assert.Equal("move", JsonDocument.Parse(body).RootElement.GetProperty("kind").GetString());
        return response.Headers.Location!.ToString();
    }

    private static async Task<JsonElement> GetTenantAsync(HttpClient admin, Guid tenantId) =>
        await admin.GetFromJsonAsync<JsonElement>($"/admin/tenants/{tenantId}");

    private static void DisposeAll(TestTenant tenant, IEnumerable<HttpClient> clients)
    {
        tenant.Dispose();
        foreach (var client in clients)
        {
            client.Dispose();
        }
    }
}
