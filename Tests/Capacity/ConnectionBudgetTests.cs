using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Aspire.Hosting;
using TieredTenancy.Tests.Stack;
using TieredTenancy.Tests.TenantPlane;
using Xunit.Abstractions;

namespace TieredTenancy.Tests.Capacity;

/// <summary>
/// The dedicated server's connection budget (16 here, 8 per replica) holds for the replicas together:
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
        var tenants = new List<TestTenant>();
        for (var i = 0; i < Tenants; i++)
        {
            tenants.Add(await TestTenants.CreateAsync(stack.App, "enterprise"));
        }

        using var watching = new CancellationTokenSource();
        var peak = WatchTenantBackendsAsync(watching.Token);
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
        await watching.CancelAsync();
        var backends = await peak;

        output.WriteLine($"{reads.Count} reads of {Tenants} database tenants on 2 replicas in {clock.Elapsed.TotalSeconds:0.0} s: {errors.Count} errors, "
            + $"peak tenant backends {backends} (budget {CapacityFixture.DedicatedConnectionBudget})");
        Assert.Empty(errors);
        Assert.InRange(backends, 1, CapacityFixture.DedicatedConnectionBudget);
        foreach (var tenant in tenants)
        {
            tenant.Dispose();
        }
    }

    [Fact]
    public async Task When_every_connection_of_a_replicas_share_stays_busy_past_the_wait_a_request_answers_503_with_Retry_After()
    {
        var replica = (await Replicas.BaseAddressesAsync(stack.App, "api", 2))[0];
        var share = CapacityFixture.DedicatedConnectionBudget / 2;
        var tenants = new List<TestTenant>();
        for (var i = 0; i < share + 4; i++)
        {
            var tenant = await TestTenants.CreateAsync(stack.App, "enterprise", replica);
            await TestTenant.ExpectAsync(await tenant.Api.GetAsync("/testing/slow-query?seconds=0"), HttpStatusCode.OK);
            tenants.Add(tenant);
        }

        // Twelve tenants each hold a connection for 2.5 s (under the 3 s statement timeout) on one replica whose share is 8; the wait is 1 s.
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
        foreach (var (response, elapsed) in unavailable)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains("connection budget", await response.Content.ReadAsStringAsync());
            Assert.Equal("2", response.Headers.GetValues("Retry-After").Single());
            // Bounded: the wait (1 s), not the slow queries' 2.5 s, plus a margin for a loaded machine.
            Assert.InRange(elapsed, CapacityFixture.ConnectionWait * 0.9, TimeSpan.FromSeconds(2.4));
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

    /// <summary>The most backends of tenant logins the dedicated server had at once, sampled every 20 ms until cancelled.</summary>
    private async Task<long> WatchTenantBackendsAsync(CancellationToken cancellationToken)
    {
        await using var server = await stack.App.OpenAsync("postgres-dedicated");
        long peak = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var now = await server.ScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE usename LIKE 'tdb\\_%'");
            if (now > peak)
            {
                peak = now;
                output.WriteLine($"peak {now}: " + await server.ScalarAsync<string>(
                    "SELECT string_agg(usename || ' ' || state || ' ' || n, ', ') FROM (SELECT usename, state, count(*) n FROM pg_stat_activity WHERE usename LIKE 'tdb\\_%' GROUP BY 1, 2 HAVING count(*) > 1 OR state <> 'idle') s"));
            }
            try
            {
                await Task.Delay(20, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        return peak;
    }
}
