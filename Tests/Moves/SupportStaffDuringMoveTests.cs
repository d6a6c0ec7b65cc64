using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TieredTenancy.Tests.Stack;
using TieredTenancy.Tests.TenantPlane;

namespace TieredTenancy.Tests.Moves;

/// <summary>
/// Support staff (a platform admin naming the tenant with X-Tenant) read a tenant while it moves.
/// Their reads write an audit event into the tenant's storage, so they wait out the freeze like
/// any write, and the move keeps the event instead of failing verification over it.
/// </summary>
[Collection(OperationsCollection.Name)]
public sealed class SupportStaffDuringMoveTests(OperationsFixture stack)
{
    [Theory]
    [InlineData("pro", "business")]
    [InlineData("business", "enterprise")]
    [InlineData("enterprise", "pro")]
    [InlineData("business", "pro")]
    [InlineData("enterprise", "business")]
    [InlineData("pro", "enterprise")]
    public async Task A_platform_admins_read_during_the_freeze_waits_on_the_tenants_write_lock_and_the_move_keeps_its_audit_event(string from, string to)
    {
        var app = stack.App;
        using var admin = await app.AdminClientAsync();
        var redis = await OperationWatch.RedisAsync(app);
        using var tenant = await TestTenants.CreateAsync(app, from);
        await tenant.CreateProjectAsync("seen by support");
        using var support = app.Authorized("api", await app.TokenAsync("platform-admin", await app.ParameterAsync("platform-admin-secret")));
        using (var warm = await ReadAsSupportAsync(support, tenant.Slug))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }
        var source = TestPlacement.From(await admin.GetFromJsonAsync<JsonElement>($"/admin/tenants/{tenant.Id}"));

        using var move = new HttpRequestMessage(HttpMethod.Put, $"/admin/tenants/{tenant.Id}/plan")
        {
            Content = JsonContent.Create(new { plan = to }),
            Headers = { { "X-Fault-Injection", "pause:frozen" } },
        };
        using var started = await admin.SendAsync(move);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var location = started.Headers.Location!.ToString();
        var operationId = OperationWatch.IdOf(location);
        await OperationWatch.WaitUntilPausedAsync(redis, operationId, "frozen");

        // Under the freeze, after the final delta: the read must not land an audit event on the source now.
        var read = ReadAsSupportAsync(support, tenant.Slug);
        await Eventually.TrueAsync(async () =>
        {
            await using var server = await source.OpenAsync(app);
            return await server.ScalarAsync<bool>("""
                SELECT EXISTS (SELECT FROM pg_stat_activity
                               WHERE datname = $1 AND wait_event_type = 'Lock' AND wait_event = 'advisory' AND pid <> pg_backend_pid())
                """, source.Database);
        }, TimeSpan.FromSeconds(30), "the platform admin's read should wait on the tenant's write lock while its writes are frozen");
        Assert.False(read.IsCompleted, "a platform admin's read went ahead during the freeze");
        await OperationWatch.ReleaseAsync(redis, operationId, "frozen");

        using (var answered = await read.WaitAsync(TimeSpan.FromSeconds(60)))
        {
            Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        }
        var operation = await OperationWatch.WaitForEndAsync(admin, location);
        Assert.True(operation.GetProperty("status").GetString() == "succeeded", operation.ToString());
        // Both reads' events are at the new placement: the one before the move was copied, the one during it came after the flip.
        var target = TestPlacement.From(await admin.GetFromJsonAsync<JsonElement>($"/admin/tenants/{tenant.Id}"));
        Assert.Equal(source.Epoch + 1, target.Epoch);
        await using var storage = await target.OpenAsync(app);
        Assert.Equal(2L, await storage.ScalarAsync<long>(
            $"SELECT count(*) FROM \"{target.Schema}\".audit_entries WHERE tenant_id = $1 AND action = 'platform-admin.access' AND target = 'GET /projects'", tenant.Id));
    }

    private static Task<HttpResponseMessage> ReadAsSupportAsync(HttpClient support, string slug)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/projects") { Headers = { { "X-Tenant", slug } } };
        return support.SendAsync(request);
    }
}
