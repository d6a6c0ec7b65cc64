using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Aspire.Hosting;
using TieredTenancy.Tests.Stack;
using TieredTenancy.Tenancy.Registry;
using TieredTenancy.Tests.TenantPlane;
using Xunit.Abstractions;

namespace TieredTenancy.Tests.Capacity;

/// <summary>
/// The dedicated server's connection budget (16 here, 8 per replica, 7 of them open at most) holds for the replicas together:
/// many more database tenants than connections are all served, least recently used pools closing to
/// make room; when every connection of a replica's share is busy past the wait, 503 with Retry-After.
/// </summary>
[Collection(CapacityCollection.Name)]
public sealed class ConnectionBudgetTests(CapacityFixture stack, ITestOutputHelper output)
{
    private const int Tenants = 40;

    [Fact]
    public async Task Many_database_tenants_read_on_both_replicas_all_succeed_within_the_servers_connection_budget()
    {
        var replicas = await Replicas.BaseAddressesAsync(stack.App, "api", 2);
        // PostgreSQL's own account: it logs the start and the end of every session of the tenants made from here on.
        await using var sessions = await SessionLog.StartAsync(stack.App, "postgres-dedicated");
        var tenants = new List<TestTenant>();
        for (var i = 0; i < Tenants; i++)
        {
            tenants.Add(await TestTenants.CreateAsync(stack.App, "enterprise"));
        }
        var logins = tenants.Select(tenant => TenantNames.Database(tenant.Id)).ToHashSet();

        var errors = new ConcurrentBag<string>();
        var clock = Stopwatch.StartNew();
        // Every tenant on each replica, three rounds, eight requests at a time: each replica meets 40 tenants with room for 8 connections.
        var reads = Enumerable.Range(0, 3).SelectMany(_ => tenants.SelectMany(tenant => replicas.Select(replica => (tenant, replica)))).ToList();
        await Parallel.ForEachAsync(reads, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (read, cancellationToken) =>
        {
            using var client = TestTenants.Authorized(read.replica, read.tenant.Token);
            using var response = await client.GetAsync("/projects", cancellationToken);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                errors.Add($"{read.tenant.Slug} on {read.replica}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
            }
        });
        clock.Stop();
        var (peak, opened) = await sessions.PeakAsync(logins.Contains);

        output.WriteLine($"{reads.Count} reads of {Tenants} database tenants on 2 replicas in {clock.Elapsed.TotalSeconds:0.0} s: {errors.Count} errors; "
            + $"PostgreSQL logged {opened} sessions of their logins, at most {peak} at once (budget {CapacityFixture.DedicatedConnectionBudget})");
        Assert.Empty(errors);
        // Every tenant was read on both replicas, so each login had a session; never more of them at once than the budget.
        Assert.True(opened >= Tenants, $"only {opened} sessions of the {Tenants} tenants' logins were logged");
        Assert.InRange(peak, 1, CapacityFixture.DedicatedConnectionBudget);
        foreach (var tenant in tenants)
        {
            tenant.Dispose();
        }
    }

    [Fact]
    public async Task When_every_connection_of_a_replicas_share_stays_busy_past_the_wait_a_request_answers_503_with_Retry_After()
    {
        var replica = (await Replicas.BaseAddressesAsync(stack.App, "api", 2))[0];
        // Each replica's share, less the one connection it keeps for backends still exiting.
        var share = CapacityFixture.DedicatedConnectionBudget / 2 - 1;
        var tenants = new List<TestTenant>();
        for (var i = 0; i < share + 4; i++)
        {
            var tenant = await TestTenants.CreateAsync(stack.App, "enterprise", replica);
            await TestTenant.ExpectAsync(await tenant.Api.GetAsync("/testing/slow-query?seconds=0"), HttpStatusCode.OK);
            tenants.Add(tenant);
        }

        // Eleven tenants each hold a connection for 2.5 s (under the 3 s statement timeout) on one replica that opens 7; the wait is 1 s.
        var clock = Stopwatch.StartNew();
        var responses = await Task.WhenAll(tenants.Select(async tenant =>
        {
            var response = await tenant.Api.GetAsync("/testing/slow-query?seconds=2.5");
            return (Response: response, Elapsed: clock.Elapsed);
        }));
        var ok = responses.Count(answer => answer.Response.StatusCode == HttpStatusCode.OK);
        var unavailable = responses.Where(answer => answer.Response.StatusCode == HttpStatusCode.ServiceUnavailable).ToList();
        output.WriteLine($"{tenants.Count} slow requests at once on one replica: {ok} answered 200, {unavailable.Count} answered 503 after "
            + string.Join(", ", unavailable.Select(answer => $"{answer.Elapsed.TotalSeconds:0.00} s")));

        foreach (var (response, _) in responses.Where(answer => answer.Response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable)))
        {
            output.WriteLine($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
        Assert.Equal(tenants.Count, ok + unavailable.Count);
        Assert.Equal(share, ok);
        // Answered once the wait (1 s) was over, and before any slow query (2.5 s) ended: the wait, not a free connection, ended them.
        var firstServed = responses.Where(answer => answer.Response.StatusCode == HttpStatusCode.OK).Min(answer => answer.Elapsed);
        foreach (var (response, elapsed) in unavailable)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains("connection budget", await response.Content.ReadAsStringAsync());
            Assert.Equal("2", response.Headers.GetValues("Retry-After").Single());
            Assert.True(elapsed >= CapacityFixture.ConnectionWait * 0.9, $"a 503 came after {elapsed.TotalSeconds:0.00} s, before the {CapacityFixture.ConnectionWait.TotalSeconds} s wait");
            Assert.True(elapsed < firstServed, $"a 503 came after {elapsed.TotalSeconds:0.00} s, once a slow query had ended ({firstServed.TotalSeconds:0.00} s)");
        }

        // Once the slow requests ended, every tenant is served again.
        foreach (var tenant in tenants)
        {
            await TestTenant.ExpectAsync(await tenant.Api.GetAsync("/projects"), HttpStatusCode.OK);
            tenant.Dispose();
        }
        foreach (var (response, _) in responses)
        {
            response.Dispose();
        }
    }
}
