using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TieredTenancy.Tests.Stack;
using TieredTenancy.Tests.TenantPlane;

namespace TieredTenancy.Tests.Moves;

/// <summary>
/// An attempt whose lease is taken away in the catalog while PostgreSQL runs one of its statements:
/// the next attempt ends that statement's backend before its own first step, the old attempt's
/// further writes are refused, and the operation's history names both attempts. And a statement of
/// an attempt never runs longer than the statement timeout, which is shorter than the lease.
/// </summary>
[Collection(OperationsCollection.Name)]
public sealed class SupersededAttemptTests(OperationsFixture stack)
{
    [Fact]
    public async Task A_superseded_attempt_has_its_running_statement_ended_and_its_writes_refused_before_the_next_attempt_starts()
    {
        var app = stack.App;
        using var admin = await app.AdminClientAsync();
        using var tenant = await TestTenants.CreateAsync(app, "enterprise");
        var project = (await tenant.CreateProjectAsync("superseded")).GetProperty("id").GetString()!;
        await tenant.CreateTaskAsync(project, "before the move");
        var source = TestPlacement.From(await admin.GetFromJsonAsync<JsonElement>($"/admin/tenants/{tenant.Id}"));

        // The test holds the source's tasks table: the move's change capture (CREATE TRIGGER) waits on it, a statement PostgreSQL runs.
        await using var holder = await source.OpenAsync(app);
        await using var hold = await holder.BeginTransactionAsync();
        await holder.ExecuteAsync($"LOCK TABLE \"{source.Schema}\".tasks IN ACCESS EXCLUSIVE MODE");

        using var started = await admin.PutAsJsonAsync($"/admin/tenants/{tenant.Id}/plan", new { plan = "business" });
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var location = started.Headers.Location!.ToString();
        var operationId = OperationWatch.IdOf(location);
        var firstAttempt = $"tt-op:{operationId:N}:1";

        await using var server = await app.OpenAsync(source.Server);
        int? blocked = null;
        await Eventually.TrueAsync(async () =>
        {
            blocked = await server.ScalarAsync<int?>(
                "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock' LIMIT 1", firstAttempt);
            return blocked is not null;
        }, TimeSpan.FromSeconds(60), $"a statement of {firstAttempt} waiting on the test's lock", async () =>
            string.Join(" | ", await SessionsAsync(server)) + " operation: " + await admin.GetStringAsync(location));

        // Its lease taken away, as a stalled replica's would lapse: the runner claims the operation again.
        await using var catalog = await app.OpenAsync("catalog");
        await Eventually.TrueAsync(async () =>
        {
            await catalog.ExecuteAsync("UPDATE operations SET lease_expires_at = now() - interval '1 second' WHERE id = $1 AND attempts = 1", operationId);
            return await catalog.ScalarAsync<int>("SELECT attempts FROM operations WHERE id = $1", operationId) >= 2;
        }, TimeSpan.FromSeconds(60), "a second attempt claimed the operation");

        // The first attempt's statement is ended while the test still holds the lock: it did not finish, it was terminated.
        await Eventually.TrueAsync(async () => await server.ScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", blocked!.Value) == 0,
            TimeSpan.FromSeconds(30), $"backend {blocked} of {firstAttempt} ended");
        Assert.Equal(0L, await server.ScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND state <> 'idle'", firstAttempt));
        await hold.RollbackAsync();

        var operation = await OperationWatch.WaitForEndAsync(admin, location);
        Assert.True(operation.GetProperty("status").GetString() == "rolledBack", operation.ToString());
        Assert.Equal(2, operation.GetProperty("attempts").GetInt32());

        var attempts = (await admin.GetFromJsonAsync<JsonElement>($"{location}/attempts")).EnumerateArray().ToList();
        Assert.Equal([1, 2], attempts.Select(attempt => attempt.GetProperty("attempt").GetInt32()));
        Assert.Equal("superseded", attempts[0].GetProperty("outcome").GetString());
        Assert.Equal("rolledBack", attempts[1].GetProperty("outcome").GetString());
        Assert.True(attempts[1].GetProperty("endedBackends").GetInt32() >= 1, attempts[1].ToString());
        Assert.All(attempts, attempt => Assert.False(string.IsNullOrEmpty(attempt.GetProperty("instance").GetString())));
        // The second attempt's first step began only after the first attempt's backends were gone and the fence named it.
        var fencedAt = attempts[1].GetProperty("fencedAt").GetDateTimeOffset();
        var rollingBack = operation.GetProperty("phases").EnumerateArray().Last(phase => phase.GetProperty("name").GetString() == "rolling-back");
        Assert.True(rollingBack.GetProperty("startedAt").GetDateTimeOffset() >= fencedAt, $"rolled back from {rollingBack} before the fence moved at {fencedAt:O}");

        // The superseded attempt wrote nothing after: no capture trigger is left on the source, the target is gone, the tenant is served where it was.
        await using (var sourceDatabase = await source.OpenAsync(app))
        {
            Assert.Equal(0L, await sourceDatabase.ScalarAsync<long>("SELECT count(*) FROM pg_trigger WHERE tgname LIKE $1", $"tt_capture_{operationId:N}_%"));
        }
        var target = TestPlacement.Parse(operation.GetProperty("report").GetProperty("to").GetString()!);
        await target.AssertGoneAsync(app, tenant.Id);
        var after = await admin.GetFromJsonAsync<JsonElement>($"/admin/tenants/{tenant.Id}");
        Assert.Equal(("active", "enterprise"), (after.GetProperty("status").GetString(), after.GetProperty("plan").GetString()));
        Assert.Equal(source, TestPlacement.From(after));
        Assert.Equal(HttpStatusCode.OK, (await tenant.Api.GetAsync($"/projects/{project}/tasks")).StatusCode);

        // A write of the superseded attempt is refused by the catalog itself.
        var refused = await Assert.ThrowsAsync<Npgsql.PostgresException>(async () =>
        {
            await using var fenced = await catalog.BeginTransactionAsync();
            await catalog.ExecuteAsync("SELECT tt_operation_fence($1, 1)", operationId);
        });
        Assert.Equal("TT002", refused.SqlState);
    }

    [Fact]
    public async Task A_statement_of_an_attempt_that_runs_past_the_statement_timeout_is_cut_by_postgresql_and_the_move_rolls_back()
    {
        var app = stack.App;
        using var admin = await app.AdminClientAsync();
        var redis = await OperationWatch.RedisAsync(app);
        using var tenant = await TestTenants.CreateAsync(app, "business");
        var project = (await tenant.CreateProjectAsync("held")).GetProperty("id").GetString()!;
        await tenant.CreateTaskAsync(project, "before the move");
        var source = TestPlacement.From(await admin.GetFromJsonAsync<JsonElement>($"/admin/tenants/{tenant.Id}"));
        var (location, operationId) = await OperationWatch.StartPausedMoveAsync(admin, redis, tenant.Id, "enterprise", "captured");

        // The bulk copy's first read of the tenant's tasks waits on the test's lock, longer than any statement of an attempt may run.
        await using var holder = await source.OpenAsync(app);
        await using var hold = await holder.BeginTransactionAsync();
        await holder.ExecuteAsync($"LOCK TABLE \"{source.Schema}\".tasks IN ACCESS EXCLUSIVE MODE");
        await OperationWatch.ReleaseAsync(redis, operationId, "captured");
        string? error = null;
        await Eventually.TrueAsync(async () =>
        {
            var running = await admin.GetFromJsonAsync<JsonElement>(location);
            error = running.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
            return error is not null;
        }, TimeSpan.FromSeconds(60), "the move failed its copy");
        Assert.Contains("statement timeout", error);
        await hold.RollbackAsync();

        var operation = await OperationWatch.WaitForEndAsync(admin, location);
        Assert.True(operation.GetProperty("status").GetString() == "rolledBack", operation.ToString());
        var after = await admin.GetFromJsonAsync<JsonElement>($"/admin/tenants/{tenant.Id}");
        Assert.Equal(("active", "business"), (after.GetProperty("status").GetString(), after.GetProperty("plan").GetString()));
        Assert.Equal(1, (await tenant.Api.GetFromJsonAsync<JsonElement>($"/projects/{project}/tasks")).GetProperty("total").GetInt32());
    }

    private static async Task<List<string>> SessionsAsync(Npgsql.NpgsqlConnection server)
    {
        var sessions = new List<string>();
        await using var command = new Npgsql.NpgsqlCommand(
            "SELECT concat_ws(' ', pid, datname, application_name, state, wait_event_type, left(query, 80)) FROM pg_stat_activity WHERE backend_type = 'client backend'", server);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            sessions.Add(reader.GetString(0));
        }
        return sessions;
    }
}
