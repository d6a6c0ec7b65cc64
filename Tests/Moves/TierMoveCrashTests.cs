using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TieredTenancy.Tests.Stack;
using TieredTenancy.Tests.TenantPlane;

namespace TieredTenancy.Tests.Moves;

/// <summary>
/// The Provisioner process is killed (SIGKILL, no shutdown) while a move stands at a known point of
/// each phase, with the tenant's users at work on both replicas. After a restart the move is rolled
/// back (before the flip) or finished (from the flip on), no request failed, no acknowledged write
/// is lost, and the tenant is served from exactly one placement.
/// </summary>
[Collection(OperationsCollection.Name)]
public sealed class TierMoveCrashTests(OperationsFixture stack)
{
    [Theory]
    [InlineData("prepared", "pro", "business", "rolledBack")]
    [InlineData("captured", "business", "pro", "rolledBack")]
    [InlineData("copied", "business", "enterprise", "rolledBack")]
    [InlineData("caught-up", "enterprise", "pro", "rolledBack")]
    [InlineData("frozen", "pro", "enterprise", "rolledBack")]
    [InlineData("verified", "business", "pro", "rolledBack")]
    [InlineData("flipped", "enterprise", "business", "succeeded")]
    [InlineData("cleaning-up", "pro", "business", "succeeded")]
    [InlineData("source-removed", "business", "pro", "succeeded")]
    public async Task A_Provisioner_killed_during_a_move_rolls_it_back_or_finishes_it_at_restart(string step, string from, string to, string outcome)
    {
        var app = stack.App;
        using var admin = await app.AdminClientAsync();
        var redis = await OperationWatch.RedisAsync(app);
        using var tenant = await TestTenants.CreateAsync(app, from);
        var project = (await tenant.CreateProjectAsync("crash project")).GetProperty("id").GetString()!;
        for (var i = 0; i < 10; i++)
        {
            await tenant.CreateTaskAsync(project, $"before the crash {i}");
        }
        var replicas = (await Replicas.BaseAddressesAsync(app, "api", expected: 2)).Select(address => TestTenants.Authorized(address, tenant.Token)).ToList();
        var before = TestPlacement.From(await admin.GetFromJsonAsync<JsonElement>($"/admin/tenants/{tenant.Id}"));

        await using var workload = TenantWorkload.Start(replicas, project);
        var (location, operationId) = await OperationWatch.StartPausedMoveAsync(admin, redis, tenant.Id, to, step);
        var target = TestPlacement.Parse((await admin.GetFromJsonAsync<JsonElement>(location)).GetProperty("report").GetProperty("to").GetString()!);

        await ProvisionerProcess.KillAndRestartAsync(app);
        // The restarted run passes the point it was killed at.
        await OperationWatch.ReleaseAsync(redis, operationId, step);

        var operation = await OperationWatch.WaitForEndAsync(admin, location);
        Assert.True(operation.GetProperty("status").GetString() == outcome, operation.ToString());
        Assert.True(operation.GetProperty("attempts").GetInt32() >= 2, operation.ToString());
        await Task.Delay(500);
        await workload.StopAsync();

        Assert.True(workload.Failures.Count == 0, $"{workload.Failures.Count} requests failed: {string.Join(" | ", workload.Failures.Take(5))}");
        await workload.AssertEveryAcknowledgedWriteIsPresentAsync(replicas[0], project);
        await workload.AssertEveryAcknowledgedWriteIsPresentAsync(replicas[1], project);

        var after = await admin.GetFromJsonAsync<JsonElement>($"/admin/tenants/{tenant.Id}");
        Assert.Equal("active", after.GetProperty("status").GetString());
        var placement = TestPlacement.From(after);
        if (outcome == "succeeded")
        {
            Assert.Equal(to, after.GetProperty("plan").GetString());
            Assert.Equal(target, placement);
            await before.AssertGoneAsync(app, tenant.Id);
        }
        else
        {
            Assert.Equal(from, after.GetProperty("plan").GetString());
            Assert.Equal(before, placement);
            Assert.Contains("stopped during phase", operation.GetProperty("error").GetString());
            await target.AssertGoneAsync(app, tenant.Id);
        }
        replicas.ForEach(replica => replica.Dispose());
    }
}
