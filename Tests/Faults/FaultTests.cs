using System.Diagnostics;
using System.Net;
using Aspire.Hosting;
using TieredTenancy.Tenancy.Registry;
using TieredTenancy.Tests.Provisioning;
using TieredTenancy.Tests.Stack;
using TieredTenancy.Tests.TenantPlane;
using Xunit.Abstractions;

namespace TieredTenancy.Tests.Faults;

/// <summary>
/// Faults tenants never see, each under continuous mixed load on both Api replicas (<see cref="MixedLoad"/>), injected
/// into the real processes: every tenant backend terminated, redis-server paused and killed, the main PostgreSQL server
/// and a dedicated one restarted. Each asserts what the clients were answered: no acknowledged write lost, no request
/// failed but those the downtime of a restarted server caught, and at least half the normal pace during the fault.
/// </summary>
[Collection(FaultsCollection.Name)]
public sealed class FaultTests(FaultsFixture stack, ITestOutputHelper output)
{
    private static readonly TimeSpan Normal = TimeSpan.FromSeconds(4);

    [Fact]
    public async Task Every_tenant_backend_terminated_fails_no_request_loses_no_write_and_keeps_at_least_half_the_pace()
    {
        await using var load = await MixedLoad.StartAsync(stack.App);
        var normal = await load.PaceAsync(Normal);

        var from = DateTimeOffset.UtcNow;
        var ended = await TerminateTenantBackendsAsync("postgres", "tenants") + await TerminateTenantBackendsAsync("postgres-dedicated", null);
        await Task.Delay(TimeSpan.FromSeconds(8));
        var during = load.AnsweredBetween(from, DateTimeOffset.UtcNow) / 8.0;
        await load.StopAsync();

        output.WriteLine($"{ended} tenant backends terminated; {during:0} answered a second in the 8 s after, {normal:0} before; {load.Failures.Count} failed");
        Assert.True(ended > 0, "no tenant backend was terminated; nothing was tested");
        load.AssertNoRequestFailed();
        MixedLoad.AssertAtLeastHalfThePace(during, normal, "after the backends were terminated");
        await load.AssertNoAcknowledgedWriteLostAsync();
    }

    [Fact]
    public async Task Redis_paused_for_eight_seconds_holds_no_request_of_any_tier()
    {
        await using var load = await MixedLoad.StartAsync(stack.App);
        var (_, redis) = await ServerProcess.RunningAsync(stack.App, "cache");
        var normal = await load.PaceAsync(Normal);

        var from = DateTimeOffset.UtcNow;
        ServerProcess.Signal(redis, ServerProcess.Stop);
        double during;
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(8));
            during = load.AnsweredBetween(from, DateTimeOffset.UtcNow) / 8.0;
        }
        finally
        {
            ServerProcess.Signal(redis, ServerProcess.Continue);
        }
        // After it answers again: the load goes on.
        await load.WaitForEveryTenantAsync(10, TimeSpan.FromSeconds(30));
        await load.StopAsync();

        output.WriteLine($"redis-server paused 8 s: {during:0} answered a second meanwhile, {normal:0} before; {load.Failures.Count} failed");
        load.AssertNoRequestFailed();
        MixedLoad.AssertAtLeastHalfThePace(during, normal, "while Redis was paused");
        await load.AssertNoAcknowledgedWriteLostAsync();
    }

    [Fact]
    public async Task With_Redis_killed_the_load_goes_on_and_a_suspension_and_a_revocation_reach_every_replica_within_a_second()
    {
        await using var load = await MixedLoad.StartAsync(stack.App);
        using var admin = await stack.App.AdminClientAsync();
        using var suspended = await TestTenants.CreateAsync(stack.App, "pro");
        using var revokedTenant = await TestTenants.CreateAsync(stack.App, "pro");
        var (clientId, secret) = await admin.CreateClientAsync(revokedTenant.Id.ToString());
        var revokedToken = await stack.App.TokenAsync(clientId, secret);
        var replicas = await Replicas.BaseAddressesAsync(stack.App, "api", 2);
        foreach (var replica in replicas)
        {
            using var before = TestTenants.Authorized(replica, revokedToken);
            await TestTenant.ExpectAsync(await before.GetAsync("/projects"), HttpStatusCode.OK);
            using var tenant = TestTenants.Authorized(replica, suspended.Token);
            await TestTenant.ExpectAsync(await tenant.GetAsync("/projects"), HttpStatusCode.OK);
        }
        var (redisId, redis) = await ServerProcess.RunningAsync(stack.App, "cache");
        var normal = await load.PaceAsync(Normal);

        var from = DateTimeOffset.UtcNow;
        ServerProcess.Signal(redis, ServerProcess.Kill);
        await ServerProcess.WaitForExitAsync(redis, TimeSpan.FromSeconds(10));
        try
        {
            // The operator's calls answer at once, and every replica acts on them within a second, without Redis.
            var since = DateTimeOffset.UtcNow;
            var clock = Stopwatch.StartNew();
            TimeSpan suspendTook;
            using (var suspend = await admin.PostAsync($"/admin/tenants/{suspended.Id}/suspend", null))
            {
                Assert.Equal(HttpStatusCode.OK, suspend.StatusCode);
                suspendTook = ServerTiming.Of(suspend);
            }
            var suspendSeen = clock.Elapsed;
            var suspendDelays = await RegistryChangeWatch.AppliedEverywhereAsync(stack.App, "api", 2, suspended.Id.ToString(), since);

            since = DateTimeOffset.UtcNow;
            clock.Restart();
            TimeSpan revokeTook;
            using (var revoke = await admin.DeleteAsync($"/admin/tenants/{revokedTenant.Id}/clients/{clientId}"))
            {
                Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
                revokeTook = ServerTiming.Of(revoke);
            }
            var revokeSeen = clock.Elapsed;
            var revokeDelays = await RegistryChangeWatch.AppliedEverywhereAsync(stack.App, "api", 2, $"client:{clientId}", since);
            foreach (var replica in replicas)
            {
                using var tenant = TestTenants.Authorized(replica, suspended.Token);
                Assert.Equal(HttpStatusCode.Forbidden, (await tenant.GetAsync("/projects")).StatusCode);
                using var client = TestTenants.Authorized(replica, revokedToken);
                Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/projects")).StatusCode);
            }

            // Nor does any other call wait on it: a token (the throttle counts locally) and a usage report (without request counts).
            // Both touch Redis when it answers; the Provisioner's own count of each, as for the suspension.
            var (otherId, otherSecret) = await admin.CreateClientAsync(revokedTenant.Id.ToString());
            TimeSpan tokenTook, usageTook;
            using (var token = await stack.App.RequestTokenAsync(otherId, otherSecret))
            {
                Assert.Equal(HttpStatusCode.OK, token.StatusCode);
                tokenTook = ServerTiming.Of(token);
            }
            using (var usageAnswer = await admin.GetAsync($"/admin/tenants/{load.Tenants[0].Id}/usage"))
            {
                usageTook = ServerTiming.Of(usageAnswer);
                Assert.False((await TestTenant.ExpectAsync(usageAnswer, HttpStatusCode.OK)).GetProperty("requestCountsAvailable").GetBoolean());
            }

            var rest = TimeSpan.FromSeconds(10) - (DateTimeOffset.UtcNow - from);
            if (rest > TimeSpan.Zero)
            {
                await Task.Delay(rest);
            }
            var during = load.AnsweredBetween(from, DateTimeOffset.UtcNow) / (DateTimeOffset.UtcNow - from).TotalSeconds;
            output.WriteLine($"redis-server killed: the suspension took the Provisioner {suspendTook.TotalMilliseconds:0} ms (the client saw {suspendSeen.TotalMilliseconds:0} ms) " +
                $"and applied on the replicas after {string.Join(" and ", suspendDelays.Select(d => $"{d:0}"))} ms; the revocation took {revokeTook.TotalMilliseconds:0} ms " +
                $"({revokeSeen.TotalMilliseconds:0} ms), applied after " +
                $"{string.Join(" and ", revokeDelays.Select(d => $"{d:0}"))} ms; a token {tokenTook.TotalMilliseconds:0} ms and a usage report {usageTook.TotalMilliseconds:0} ms; " +
                $"{during:0} answered a second, {normal:0} before");
            // As the Provisioner counted (Server-Timing): the client's own clock on a busy machine adds its waits for a core.
            Assert.True(suspendTook < RegistryChangeWatch.Promise, $"the suspension took the Provisioner {suspendTook.TotalMilliseconds:0} ms");
            Assert.True(revokeTook < RegistryChangeWatch.Promise, $"the revocation took the Provisioner {revokeTook.TotalMilliseconds:0} ms");
            Assert.True(tokenTook < RegistryChangeWatch.Promise, $"a token took the Provisioner {tokenTook.TotalMilliseconds:0} ms");
            Assert.True(usageTook < RegistryChangeWatch.Promise, $"a usage report took the Provisioner {usageTook.TotalMilliseconds:0} ms");
            MixedLoad.AssertAtLeastHalfThePace(during, normal, "without Redis");
        }
        finally
        {
            await ServerProcess.StartAgainAsync(stack.App, redisId, "cache");
        }
        await load.WaitForEveryTenantAsync(10, TimeSpan.FromSeconds(30));
        await load.StopAsync();
        load.AssertNoRequestFailed();
        await load.AssertNoAcknowledgedWriteLostAsync();
    }

    [Fact]
    public async Task With_Redis_killed_each_replica_admits_its_share_of_a_tenants_plan_and_together_no_more_than_the_plan()
    {
        using var admin = await stack.App.AdminClientAsync();
        using var tenant = await TestTenants.CreateAsync(stack.App, "pro");
        var replicas = await Replicas.BaseAddressesAsync(stack.App, "api", 2);
        var clients = replicas.Select(replica => TestTenants.Authorized(replica, tenant.Token)).ToArray();
        // One a second, bursts of 10: each replica's own share without Redis is 5 and half a token a second.
        const int burst = 10;
        const double perSecond = 1;
        var since = DateTimeOffset.UtcNow;
        await using (await admin.ChangePlanLimitsAsync("pro", requestsPerMinute: (int)(perSecond * 60), requestBurst: burst, concurrentRequests: 20))
        {
            await RegistryChangeWatch.AppliedEverywhereAsync(stack.App, "api", 2, RegistryChanges.PlansChanged, since);
            var (redisId, redis) = await ServerProcess.RunningAsync(stack.App, "cache");
            ServerProcess.Signal(redis, ServerProcess.Kill);
            await ServerProcess.WaitForExitAsync(redis, TimeSpan.FromSeconds(10));
            try
            {
                var windowStart = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                var statuses = new List<HttpStatusCode>();
                var clock = Stopwatch.StartNew();
                while (clock.Elapsed < TimeSpan.FromSeconds(3))
                {
                    using var response = await clients[statuses.Count % 2].GetAsync("/projects");
                    statuses.Add(response.StatusCode);
                }

                // By the replicas' own counts: each let some through (open, at its share), both together no more than the plan.
                var perReplica = new List<List<long>>();
                foreach (var replica in replicas)
                {
                    perReplica.Add((await Capacity.RequestLimitTests.AdmissionsAsync([replica], tenant.Id)).Where(at => at >= windowStart).ToList());
                }
                var admitted = perReplica.SelectMany(times => times).Order().ToList();
                var span = admitted.Count > 1 ? (admitted[^1] - admitted[0]) / 1000.0 : 0;
                var allowed = burst + perSecond * span;
                output.WriteLine($"redis-server killed: {statuses.Count} requests over both replicas, {string.Join(" and ", perReplica.Select(times => times.Count))} admitted " +
                    $"in {span:0.00} s where the plan allows {allowed:0}; {statuses.Count(status => status == HttpStatusCode.TooManyRequests)} answered 429");
                Assert.All(perReplica, times => Assert.NotEmpty(times));
                Assert.InRange(admitted.Count, 2, allowed + 2);
                Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
                Assert.All(statuses, status => Assert.True(status is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, $"answered {(int)status}"));
            }
            finally
            {
                await ServerProcess.StartAgainAsync(stack.App, redisId, "cache");
            }
        }
    }

    [Theory]
    [InlineData("postgres")]
    [InlineData("postgres-dedicated")]
    public async Task A_server_restarted_under_load_fails_only_requests_of_its_downtime_and_every_service_recovers_without_a_restart(string server)
    {
        await using var load = await MixedLoad.StartAsync(stack.App);
        var services = await ServicePidsAsync();
        var (serverId, pid) = await ServerProcess.RunningAsync(stack.App, server);
        await load.PaceAsync(TimeSpan.FromSeconds(2));

        // A fast shutdown, as `pg_ctl restart -m fast` or an orchestrator's restart does: every backend is ended, then the server starts again.
        var from = DateTimeOffset.UtcNow;
        ServerProcess.Signal(pid, ServerProcess.Interrupt);
        await ServerProcess.WaitForExitAsync(pid, TimeSpan.FromSeconds(30));
        await ServerProcess.StartAgainAsync(stack.App, serverId, server);
        var accepting = DateTimeOffset.UtcNow;

        // Back within a few seconds of the server accepting connections, then nothing fails.
        var back = Stopwatch.StartNew();
        await load.WaitForEveryTenantAsync(5, TimeSpan.FromSeconds(10));
        var backAfter = back.Elapsed;
        var settled = DateTimeOffset.UtcNow;
        await Task.Delay(TimeSpan.FromSeconds(3));
        using (var admin = await stack.App.AdminClientAsync())
        {
            // The control plane too: it reads every tenant and makes new ones in every tier on its first try.
            foreach (var tenant in load.Tenants)
            {
                await TestTenant.ExpectAsync(await admin.GetAsync($"/admin/tenants/{tenant.Id}"), HttpStatusCode.OK);
            }
            foreach (var plan in TestTenants.Plans)
            {
                await admin.CreateTenantAsync(plan);
            }
        }
        await load.StopAsync();

        var downtime = load.FailuresBetween(from, settled);
        output.WriteLine($"{server} restarted: accepting connections {(accepting - from).TotalSeconds:0.0} s after the shutdown began; every tenant served again " +
            $"{backAfter.TotalSeconds:0.0} s after that; {downtime} requests failed in between, {load.FailuresBetween(settled, DateTimeOffset.UtcNow)} after");
        Assert.Equal(0, load.FailuresBetween(settled, DateTimeOffset.UtcNow));
        Assert.Equal(load.Failures.Count, downtime);
        Assert.Equal(services, await ServicePidsAsync());
        await load.AssertNoAcknowledgedWriteLostAsync();
    }

    /// <summary>The service processes of both Api replicas and the Provisioner: the same after a fault means none was restarted.</summary>
    private async Task<List<int>> ServicePidsAsync() =>
        (await ServiceProcesses.OfAsync(stack.App, "api", 2, "Api")).Concat(await ServiceProcesses.OfAsync(stack.App, "provisioner", 1, "Provisioner"))
            .Select(process => process.Service).Order().ToList();

    /// <summary>Ends every client backend of the tenant databases on a server (as a failover does); returns how many.</summary>
    private async Task<int> TerminateTenantBackendsAsync(string server, string? database)
    {
        await using var connection = await stack.App.OpenAsync(server);
        return await connection.ScalarAsync<int>("""
            SELECT count(pg_terminate_backend(pid))::int FROM pg_stat_activity
            WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
              AND (datname = $1::text OR ($1::text IS NULL AND datname LIKE 'tdb\_%'))
            """, (object?)database ?? DBNull.Value);
    }
}
