using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Aspire.Hosting.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using TieredTenancy.Tenancy.Registry;
using TieredTenancy.Tests.Provisioning;
using TieredTenancy.Tests.Stack;
using TieredTenancy.Tests.TenantPlane;
using Xunit.Abstractions;

namespace TieredTenancy.Tests.Security;

/// <summary>
/// API clients on the control plane: listed without secrets, revoked, given new secrets; revoked
/// clients' and replaced secrets' tokens refused on every Api replica within a second despite the
/// Api's validated-token cache; the token lifetime option; the throttle on guessing secrets.
/// </summary>
[Collection(SecurityCollection.Name)]
public sealed class ClientAccessTests(SecurityFixture stack, ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = RegistryChangeWatch.Deadline;

    [Fact]
    public async Task A_revoked_clients_tokens_are_refused_on_both_replicas_within_one_second_and_it_gets_no_new_token()
    {
        using var admin = await stack.App.AdminClientAsync();
        var (tenantId, clientId, secret, replicas) = await ClientKnownToEveryReplicaAsync(admin, "pro");

        var since = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        using (var revoked = await admin.DeleteAsync($"/admin/tenants/{tenantId}/clients/{clientId}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        }
        var answered = clock.Elapsed;
        var delays = await RegistryChangeWatch.AppliedEverywhereAsync(stack.App, "api", 2, RegistryChanges.ClientTag(clientId), since);
        var refused = await ReplicaWatch.UntilEveryReplicaAnswersAsync(replicas, "/projects", HttpStatusCode.Unauthorized, Deadline, clock);
        output.WriteLine($"revocation answered after {answered.TotalMilliseconds:0} ms; applied by the replicas {string.Join(" and ", delays.Select(d => $"{d:0}"))} ms " +
            $"after its broadcast; refused on both {refused.TotalMilliseconds:0} ms after the request was sent, as the test saw it");

        using (var token = await stack.App.RequestTokenAsync(clientId, secret))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, token.StatusCode);
            Assert.Equal("invalid_client", (await token.JsonAsync()).GetProperty("error").GetString());
        }
        using (var again = await admin.DeleteAsync($"/admin/tenants/{tenantId}/clients/{clientId}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
        }
        await using var catalog = await stack.App.OpenAsync("catalog");
        Assert.Equal(1L, await catalog.ScalarAsync<long>("SELECT count(*) FROM audit_events WHERE tenant_id = $1 AND action = 'client.revoke'", Guid.Parse(tenantId)));
        replicas.ForEach(replica => replica.Dispose());
    }

    [Fact]
    public async Task A_rotated_secret_refuses_the_old_secret_and_its_tokens_and_the_new_secret_works()
    {
        using var admin = await stack.App.AdminClientAsync();
        var (tenantId, clientId, oldSecret, oldReplicas) = await ClientKnownToEveryReplicaAsync(admin, "business");

        var since = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        string newSecret;
        using (var rotated = await admin.PostAsync($"/admin/tenants/{tenantId}/clients/{clientId}/rotate", null))
        {
            var body = await TestTenant.ExpectAsync(rotated, HttpStatusCode.OK);
            Assert.Equal(clientId, body.GetProperty("clientId").GetString());
            newSecret = body.GetProperty("clientSecret").GetString()!;
        }
        Assert.NotEqual(oldSecret, newSecret);
        var delays = await RegistryChangeWatch.AppliedEverywhereAsync(stack.App, "api", 2, RegistryChanges.ClientTag(clientId), since);
        var refused = await ReplicaWatch.UntilEveryReplicaAnswersAsync(oldReplicas, "/projects", HttpStatusCode.Unauthorized, Deadline, clock);
        output.WriteLine($"the rotation applied by the replicas {string.Join(" and ", delays.Select(d => $"{d:0}"))} ms after its broadcast; " +
            $"the old secret's token refused on both {refused.TotalMilliseconds:0} ms after the rotation was asked, as the test saw it");

        using (var old = await stack.App.RequestTokenAsync(clientId, oldSecret))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
        }
        var newReplicas = await ReplicaClientsAsync(await stack.App.TokenAsync(clientId, newSecret));
        await ReplicaWatch.UntilEveryReplicaAnswersAsync(newReplicas, "/projects", HttpStatusCode.OK, Deadline, Stopwatch.StartNew());

        // A second rotation replaces the second secret the same way.
        since = DateTimeOffset.UtcNow;
        using (var again = await admin.PostAsync($"/admin/tenants/{tenantId}/clients/{clientId}/rotate", null))
        {
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        }
        await RegistryChangeWatch.AppliedEverywhereAsync(stack.App, "api", 2, RegistryChanges.ClientTag(clientId), since);
        await ReplicaWatch.UntilEveryReplicaAnswersAsync(newReplicas, "/projects", HttpStatusCode.Unauthorized, Deadline, Stopwatch.StartNew());

        await using var catalog = await stack.App.OpenAsync("catalog");
        Assert.Equal(2L, await catalog.ScalarAsync<long>("SELECT count(*) FROM audit_events WHERE tenant_id = $1 AND action = 'client.rotate'", Guid.Parse(tenantId)));
        oldReplicas.Concat(newReplicas).ToList().ForEach(replica => replica.Dispose());
    }

    [Fact]
    public async Task A_replica_that_missed_the_broadcast_refuses_a_revoked_client_after_its_periodic_refresh()
    {
        using var admin = await stack.App.AdminClientAsync();
        var (_, clientId, _, replicas) = await ClientKnownToEveryReplicaAsync(admin, "free");

        // Revoked in the catalog with no broadcast at all, as if every replica had missed it.
        await using (var catalog = await stack.App.OpenAsync("catalog"))
        {
            Assert.Equal(1, await catalog.ExecuteAsync("UPDATE api_clients SET revoked_at = now() WHERE client_id = $1", clientId));
        }
        var clock = Stopwatch.StartNew();
        // The Api's default refresh interval is 10 s; the deadline leaves a loaded machine room beyond it (the time is printed).
        var refused = await ReplicaWatch.UntilEveryReplicaAnswersAsync(replicas, "/projects", HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(10) + Deadline, clock);
        output.WriteLine($"refused on both replicas {refused.TotalMilliseconds:0} ms after the unannounced revocation");
        replicas.ForEach(replica => replica.Dispose());
    }

    [Fact]
    public async Task An_api_replica_started_after_a_revocation_refuses_the_revoked_clients_token_from_its_first_request()
    {
        using var admin = await stack.App.AdminClientAsync();
        var (tenantId, clientId, secret, replicas) = await ClientKnownToEveryReplicaAsync(admin, "pro");
        var token = replicas[0].DefaultRequestHeaders.Authorization!.Parameter!;
        using (var revoked = await admin.DeleteAsync($"/admin/tenants/{tenantId}/clients/{clientId}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        }
        replicas.ForEach(replica => replica.Dispose());

        // The new process was not there for the broadcast: it knows from the catalog, read before it listens.
        var clock = Stopwatch.StartNew();
        using var restarted = TestTenants.Authorized(await Replicas.KillAndStartOneAsync(stack.App, "api"), token);
        HttpResponseMessage? first = null;
        while (first is null)
        {
            try
            {
                first = await restarted.GetAsync("/projects");
            }
            catch (HttpRequestException) when (clock.Elapsed < TimeSpan.FromSeconds(60))
            {
                // Not listening yet.
                await Task.Delay(20);
            }
        }
        output.WriteLine($"the replica, killed and started again, first answered {(int)first.StatusCode} after {clock.ElapsedMilliseconds} ms");
        Assert.Equal(HttpStatusCode.Unauthorized, first.StatusCode);
        Assert.Equal("application/problem+json", first.Content.Headers.ContentType?.MediaType);
        first.Dispose();
        await Replicas.WaitForHealthyAsync(stack.App, "api", 2);
    }

    [Fact]
    public async Task Listing_a_tenants_clients_shows_roles_and_times_and_never_a_secret_and_other_tenants_clients_are_not_found()
    {
        using var admin = await stack.App.AdminClientAsync();
        var tenantId = (await admin.CreateTenantAsync("pro")).GetProperty("id").GetString()!;
        var otherId = (await admin.CreateTenantAsync("pro")).GetProperty("id").GetString()!;
        var (memberId, memberSecret) = await admin.CreateClientAsync(tenantId);
        var (adminId, _) = await admin.CreateClientAsync(tenantId, "admin");
        var (otherClientId, _) = await admin.CreateClientAsync(otherId);
        using (var revoked = await admin.DeleteAsync($"/admin/tenants/{tenantId}/clients/{adminId}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        }

        using var listed = await admin.GetAsync($"/admin/tenants/{tenantId}/clients");
        var text = await listed.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        Assert.DoesNotContain(memberSecret, text);
        Assert.DoesNotContain("secret", text, StringComparison.OrdinalIgnoreCase);
        var page = await listed.JsonAsync();
        Assert.Equal(2, page.GetProperty("total").GetInt32());
        var items = page.GetProperty("items").EnumerateArray().ToDictionary(item => item.GetProperty("clientId").GetString()!);
        Assert.Equal("member", items[memberId].GetProperty("role").GetString());
        Assert.Equal(JsonValueKind.Null, items[memberId].GetProperty("revokedAt").ValueKind);
        Assert.Equal("admin", items[adminId].GetProperty("role").GetString());
        Assert.True(items[adminId].GetProperty("revokedAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-1));

        foreach (var (method, path) in new[]
        {
            (HttpMethod.Delete, $"/admin/tenants/{tenantId}/clients/{otherClientId}"),
            (HttpMethod.Post, $"/admin/tenants/{tenantId}/clients/{otherClientId}/rotate"),
            (HttpMethod.Delete, $"/admin/tenants/{tenantId}/clients/tc_nobody"),
            (HttpMethod.Get, $"/admin/tenants/{Guid.CreateVersion7()}/clients"),
        })
        {
            using var response = await admin.SendAsync(new HttpRequestMessage(method, path));
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{method} {path} answered {(int)response.StatusCode}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        using (var badId = await admin.GetAsync("/admin/tenants/not-a-uuid/clients"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, badId.StatusCode);
        }
        using (var rotateRevoked = await admin.PostAsync($"/admin/tenants/{tenantId}/clients/{adminId}/rotate", null))
        {
            Assert.Equal(HttpStatusCode.Conflict, rotateRevoked.StatusCode);
        }
        // The other tenant's client was untouched.
        using var otherTenantsList = await admin.GetAsync($"/admin/tenants/{otherId}/clients");
        Assert.Equal(JsonValueKind.Null, (await otherTenantsList.JsonAsync()).GetProperty("items")[0].GetProperty("revokedAt").ValueKind);
    }

    [Fact]
    public async Task Tokens_live_as_long_as_the_configured_lifetime()
    {
        using var admin = await stack.App.AdminClientAsync();
        var tenantId = (await admin.CreateTenantAsync("free")).GetProperty("id").GetString()!;
        var (clientId, secret) = await admin.CreateClientAsync(tenantId);
        using var response = await stack.App.RequestTokenAsync(clientId, secret);
        var body = await response.JsonAsync();
        var lifetime = (int)SecurityFixture.TokenLifetime.TotalSeconds;
        Assert.InRange(body.GetProperty("expires_in").GetInt32(), lifetime - 10, lifetime);
        var token = new JsonWebToken(body.GetProperty("access_token").GetString());
        Assert.Equal(SecurityFixture.TokenLifetime, token.ValidTo - token.IssuedAt);
    }

    [Fact]
    public async Task Refused_token_requests_for_one_client_id_answer_429_on_every_provisioner_replica_with_retry_after_while_another_client_id_still_gets_tokens()
    {
        using var admin = await stack.App.AdminClientAsync();
        var tenantId = (await admin.CreateTenantAsync("free")).GetProperty("id").GetString()!;
        var (guessedId, secret) = await admin.CreateClientAsync(tenantId);
        var (otherId, otherSecret) = await admin.CreateClientAsync(tenantId);
        var replicas = (await Replicas.BaseAddressesAsync(stack.App, "provisioner", SecurityFixture.ProvisionerReplicaCount))
            .Select(address => new HttpClient { BaseAddress = address }).ToList();
        try
        {
            // The default: ten refusals a minute per client id, counted across the replicas: a guesser
            // spreading its guesses over them gets no more.
            for (var attempt = 1; attempt <= 10; attempt++)
            {
                using var wrong = await replicas[attempt % replicas.Count].RequestTokenAsync(guessedId, $"guess-{attempt}");
                Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
            }
            foreach (var replica in replicas)
            {
                foreach (var tried in new[] { "guess-11", secret })
                {
                    using var throttled = await replica.RequestTokenAsync(guessedId, tried);
                    Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
                    Assert.Equal("application/problem+json", throttled.Content.Headers.ContentType?.MediaType);
                    Assert.InRange(throttled.Headers.RetryAfter?.Delta?.TotalSeconds ?? 0, 1, 60);
                }
                using var other = await replica.RequestTokenAsync(otherId, otherSecret);
                Assert.Equal(HttpStatusCode.OK, other.StatusCode);
            }
        }
        finally
        {
            replicas.ForEach(replica => replica.Dispose());
        }
        // The platform admin, with its secret, is never slowed however often it asks.
        for (var request = 0; request < 15; request++)
        {
            Assert.NotEmpty(await stack.App.TokenAsync("platform-admin", await stack.App.ParameterAsync("platform-admin-secret")));
        }
    }

    /// <summary>
    /// A new tenant of the plan and a member client of it, whose token each replica has validated and
    /// keeps in its cache: a later refusal cannot come from validating the token again.
    /// </summary>
    private async Task<(string TenantId, string ClientId, string Secret, List<HttpClient> Replicas)> ClientKnownToEveryReplicaAsync(HttpClient admin, string plan)
    {
        var tenantId = (await admin.CreateTenantAsync(plan)).GetProperty("id").GetString()!;
        var (clientId, secret) = await admin.CreateClientAsync(tenantId);
        var replicas = await ReplicaClientsAsync(await stack.App.TokenAsync(clientId, secret));
        await ReplicaWatch.UntilEveryReplicaAnswersAsync(replicas, "/projects", HttpStatusCode.OK, Deadline, Stopwatch.StartNew());
        return (tenantId, clientId, secret, replicas);
    }

    private async Task<List<HttpClient>> ReplicaClientsAsync(string token) =>
        (await Replicas.BaseAddressesAsync(stack.App, "api", expected: 2)).Select(replica => TestTenants.Authorized(replica, token)).ToList();
}
