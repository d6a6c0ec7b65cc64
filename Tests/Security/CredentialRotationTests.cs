using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Npgsql;
using TieredTenancy.Tests.Moves;
using TieredTenancy.Tests.Provisioning;
using TieredTenancy.Tests.Stack;
using TieredTenancy.Tests.TenantPlane;
using Xunit.Abstractions;

namespace TieredTenancy.Tests.Security;

/// <summary>
/// A database-tier tenant's login is replaced while its users read and write on both Api replicas:
/// no request fails, the old password stops working, the new one works, and a Provisioner killed
/// midway finishes the rotation at restart.
/// </summary>
[Collection(OperationsCollection.Name)]
public sealed class CredentialRotationTests(OperationsFixture stack, ITestOutputHelper output)
{
    private DistributedApplication App => stack.App;

    [Fact]
    public async Task A_rotation_under_load_fails_no_request_refuses_the_old_password_and_serves_with_the_new_one()
    {
        using var admin = await App.AdminClientAsync();
        var (tenant, project, replicas) = await BusyTenantAsync();
        var placement = TestPlacement.From(await admin.GetFromJsonAsync<JsonElement>($"/admin/tenants/{tenant.Id}"));
        var old = await CatalogSecrets.TenantCredentialsAsync(App, tenant.Id);

        await using var workload = TenantWorkload.Start(replicas, project);
        await workload.WaitForMoreAsync(writes: 5, reads: 5, TimeSpan.FromSeconds(60));
        // Held while the old login drains (the placement already names the new one), so the workload provably runs through the switch.
        var redis = await OperationWatch.RedisAsync(App);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/admin/tenants/{tenant.Id}/rotate-credentials")
        {
            Headers = { { "X-Fault-Injection", "pause:draining" }, { "Prefer", "respond-async" } },
        };
        using var started = await admin.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var operationId = OperationWatch.IdOf(started.Headers.Location!.ToString());
        await OperationWatch.WaitUntilPausedAsync(redis, operationId, "draining");
        await workload.WaitForMoreAsync(writes: 10, reads: 10, TimeSpan.FromSeconds(60));
        await OperationWatch.ReleaseAsync(redis, operationId, "draining");
        var operation = await OperationWatch.WaitForEndAsync(admin, started.Headers.Location!.ToString());
        await workload.WaitForMoreAsync(writes: 5, reads: 5, TimeSpan.FromSeconds(60));
        await workload.StopAsync();
        var draining = operation.GetProperty("phases").EnumerateArray().Single(phase => phase.GetProperty("name").GetString() == "draining");
        var (drainStart, drainEnd) = (draining.GetProperty("startedAt").GetDateTimeOffset(), draining.GetProperty("finishedAt").GetDateTimeOffset());
        Assert.True(workload.WritesBetween(drainStart, drainEnd) >= 10 && workload.ReadsBetween(drainStart, drainEnd) >= 10,
            $"the workload overlapped the drain too little: {workload.WritesBetween(drainStart, drainEnd)} writes, {workload.ReadsBetween(drainStart, drainEnd)} reads");

        Assert.Equal("rotate", operation.GetProperty("kind").GetString());
        Assert.Equal("succeeded", operation.GetProperty("status").GetString());
        var report = operation.GetProperty("report");
        Assert.Equal(old.Username, report.GetProperty("previousLogin").GetString());
        Assert.True(workload.Failures.Count == 0, $"{workload.Failures.Count} requests failed: {string.Join(" | ", workload.Failures.Take(5))}");
        foreach (var replica in replicas)
        {
            await workload.AssertEveryAcknowledgedWriteIsPresentAsync(replica, project);
        }

        var fresh = await CatalogSecrets.TenantCredentialsAsync(App, tenant.Id);
        Assert.Equal(report.GetProperty("login").GetString(), fresh.Username);
        Assert.NotEqual(old.Username, fresh.Username);
        Assert.NotEqual(old.Password, fresh.Password);
        var server = new NpgsqlConnectionStringBuilder(await App.GetConnectionStringAsync(placement.Server));
        var refused = await Assert.ThrowsAsync<PostgresException>(() => OpenAsAsync(server, old));
        Assert.Contains(refused.SqlState, new[] { PostgresErrorCodes.InvalidPassword, PostgresErrorCodes.InvalidAuthorizationSpecification });
        await using (var own = await OpenAsAsync(server, fresh))
        {
            Assert.Equal(1L, await own.ScalarAsync<long>("SELECT count(*) FROM projects"));
        }
        await using (var dedicated = await App.OpenAsync(placement.Server))
        {
            Assert.Equal(0L, await dedicated.ScalarAsync<long>("SELECT count(*) FROM pg_roles WHERE rolname = $1", old.Username!));
            // Every session the replicas hold for the tenant now is the new login's.
            Assert.Equal(0L, await dedicated.ScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND usename <> $2 AND usename LIKE 'tdb\\_%'",
                placement.Database, fresh.Username!));
        }
        await using (var catalog = await App.OpenAsync("catalog"))
        {
            Assert.Equal(1L, await catalog.ScalarAsync<long>("SELECT count(*) FROM audit_events WHERE tenant_id = $1 AND action = 'tenant.credentials.rotate'", tenant.Id));
        }
        output.WriteLine($"{workload.Writes} writes, {workload.Reads} reads, longest write {workload.LongestWrite.TotalMilliseconds:0} ms; " +
            $"old login drained in {report.GetProperty("drainMilliseconds")} ms, {report.GetProperty("endedSessions")} session(s) ended");

        // And again: the rotated login rotates like the first one.
        using (var again = await admin.PostAsync($"/admin/tenants/{tenant.Id}/rotate-credentials", null))
        {
            var second = await TestTenant.ExpectAsync(again, HttpStatusCode.OK);
            Assert.Equal(fresh.Username, second.GetProperty("report").GetProperty("previousLogin").GetString());
        }
        foreach (var replica in replicas)
        {
            Assert.Equal(HttpStatusCode.OK, (await replica.GetAsync($"/projects/{project}/tasks")).StatusCode);
        }
        DisposeAll(tenant, replicas);
    }

    [Fact]
    public async Task A_Provisioner_killed_while_the_old_login_drains_finishes_the_rotation_at_restart()
    {
        using var admin = await App.AdminClientAsync();
        var redis = await OperationWatch.RedisAsync(App);
        var (tenant, project, replicas) = await BusyTenantAsync();
        var placement = TestPlacement.From(await admin.GetFromJsonAsync<JsonElement>($"/admin/tenants/{tenant.Id}"));
        var old = await CatalogSecrets.TenantCredentialsAsync(App, tenant.Id);

        await using var workload = TenantWorkload.Start(replicas, project);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/admin/tenants/{tenant.Id}/rotate-credentials")
        {
            Headers = { { "X-Fault-Injection", "pause:draining" }, { "Prefer", "respond-async" } },
        };
        using var started = await admin.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var location = started.Headers.Location!.ToString();
        var operationId = OperationWatch.IdOf(location);
        await OperationWatch.WaitUntilPausedAsync(redis, operationId, "draining");

        // Switched, not yet drained: both logins exist, the placement names the new one.
        var switched = await CatalogSecrets.TenantCredentialsAsync(App, tenant.Id);
        Assert.NotEqual(old.Username, switched.Username);
        await using (var dedicated = await App.OpenAsync(placement.Server))
        {
            Assert.Equal(2L, await dedicated.ScalarAsync<long>("SELECT count(*) FROM pg_roles WHERE rolname IN ($1, $2)", old.Username!, switched.Username!));
        }

        await ProvisionerProcess.KillAndRestartAsync(App);
        await OperationWatch.ReleaseAsync(redis, operationId, "draining");
        var operation = await OperationWatch.WaitForEndAsync(admin, location);
        Assert.True(operation.GetProperty("status").GetString() == "succeeded", operation.ToString());
        Assert.True(operation.GetProperty("attempts").GetInt32() >= 2, operation.ToString());
        await workload.WaitForMoreAsync(writes: 5, reads: 5, TimeSpan.FromSeconds(60));
        await workload.StopAsync();

        Assert.True(workload.Failures.Count == 0, $"{workload.Failures.Count} requests failed: {string.Join(" | ", workload.Failures.Take(5))}");
        await workload.AssertEveryAcknowledgedWriteIsPresentAsync(replicas[0], project);
        Assert.Equal(switched.Username, (await CatalogSecrets.TenantCredentialsAsync(App, tenant.Id)).Username);
        await using (var dedicated = await App.OpenAsync(placement.Server))
        {
            Assert.Equal(0L, await dedicated.ScalarAsync<long>("SELECT count(*) FROM pg_roles WHERE rolname = $1", old.Username!));
            Assert.Equal(1L, await dedicated.ScalarAsync<long>("SELECT count(*) FROM pg_roles WHERE rolname = $1", switched.Username!));
        }
        DisposeAll(tenant, replicas);
    }

    [Fact]
    public async Task A_tenant_without_a_login_of_its_own_or_an_unknown_one_cannot_rotate_credentials()
    {
        using var admin = await App.AdminClientAsync();
        using var shared = await TestTenants.CreateAsync(App, "pro");
        using (var response = await admin.PostAsync($"/admin/tenants/{shared.Id}/rotate-credentials", null))
        {
            var problem = await TestTenant.ExpectAsync(response, HttpStatusCode.Conflict);
            Assert.Contains("only database-tier tenants", problem.GetProperty("detail").GetString());
        }
        using (var response = await admin.PostAsync($"/admin/tenants/{Guid.NewGuid()}/rotate-credentials", null))
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
        using (var response = await admin.PostAsync("/admin/tenants/not-an-id/rotate-credentials", null))
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }
    }

    /// <summary>A database-tier tenant with a project of tasks, and a client for it on each Api replica.</summary>
    private async Task<(TestTenant Tenant, string Project, List<HttpClient> Replicas)> BusyTenantAsync()
    {
        var tenant = await TestTenants.CreateAsync(App, "enterprise");
        var project = (await tenant.CreateProjectAsync("rotation project")).GetProperty("id").GetString()!;
        for (var i = 0; i < 10; i++)
        {
            await tenant.CreateTaskAsync(project, $"before the rotation {i}");
        }
        var replicas = (await Replicas.BaseAddressesAsync(App, "api", expected: 2)).Select(address => TestTenants.Authorized(address, tenant.Token)).ToList();
        return (tenant, project, replicas);
    }

    private static async Task<NpgsqlConnection> OpenAsAsync(NpgsqlConnectionStringBuilder server, NpgsqlConnectionStringBuilder credentials)
    {
        var connection = new NpgsqlConnection(CatalogSecrets.LoginTo(server, credentials));
        await connection.OpenAsync();
        return connection;
    }

    private static void DisposeAll(TestTenant tenant, IEnumerable<HttpClient> clients)
    {
        tenant.Dispose();
        foreach (var client in clients)
        {
            client.Dispose();
        }
    }
}
