using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Aspire.Hosting.Testing;
using TieredTenancy.Tests.Provisioning;
using TieredTenancy.Tests.Stack;

namespace TieredTenancy.Tests.TenantPlane;

/// <summary>Bad tokens and tenants that may not be served get 401 or 403, on every replica, quickly after a change.</summary>
[Collection(StackCollection.Name)]
public sealed class TokenAndTenantStateTests(StackFixture stack)
{
    [Fact]
    public async Task Missing_expired_forged_unsigned_and_misaddressed_tokens_answer_401()
    {
        using var tenant = await TestTenants.CreateAsync(stack.App, "pro");
        var mint = await TokenMint.FromCatalogAsync(stack.App);
        // The real key mints a token the Api accepts: the cases below fail for the reason they name, not for the key.
        await ExpectStatus(mint.Mint(tenant.Id), HttpStatusCode.OK);

        using (var anonymous = stack.App.CreateHttpClient("api"))
        using (var response = await anonymous.GetAsync("/projects"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        await ExpectStatus(mint.Mint(tenant.Id, expires: DateTime.UtcNow.AddMinutes(-5)), HttpStatusCode.Unauthorized);
        await ExpectStatus(mint.Mint(tenant.Id, signWith: RSA.Create(2048)), HttpStatusCode.Unauthorized);
        await ExpectStatus(TokenMint.Unsigned(tenant.Id), HttpStatusCode.Unauthorized);
        await ExpectStatus(mint.Mint(tenant.Id, audience: "someone-else"), HttpStatusCode.Unauthorized);
        await ExpectStatus(mint.Mint(tenant.Id, issuer: "http://evil/"), HttpStatusCode.Unauthorized);
        await ExpectStatus("not.a.jwt", HttpStatusCode.Unauthorized);
        // Valid signature but no tenant at all: no tenant context.
        await ExpectStatus(mint.Mint(null), HttpStatusCode.Unauthorized);
        // A tenant that does not exist.
        await ExpectStatus(mint.Mint(Guid.CreateVersion7()), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Suspension_and_plan_changes_reach_both_replicas_within_one_second()
    {
        var replicas = await Replicas.BaseAddressesAsync(stack.App, "api", expected: 2);
        using var tenant = await TestTenants.CreateAsync(stack.App, "free");
        var clients = replicas.Select(replica => TestTenants.Authorized(replica, tenant.Token)).ToList();
        // Warm both replicas' caches with the current entry first, so the change must travel by broadcast.
        foreach (var client in clients)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/projects")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/tasks/search?q=x")).StatusCode);
        }

        using var admin = await stack.App.AdminClientAsync();
        var since = DateTimeOffset.UtcNow;
        using (var upgrade = await admin.PutAsJsonAsync($"/admin/tenants/{tenant.Id}/plan", new { plan = "pro" }))
        {
            Assert.Equal(HttpStatusCode.OK, upgrade.StatusCode);
        }
        await EveryReplicaAfterTheBroadcast(clients, tenant.Id, since, "/tasks/search?q=x", HttpStatusCode.OK);

        since = DateTimeOffset.UtcNow;
        using (var suspend = await admin.PostAsync($"/admin/tenants/{tenant.Id}/suspend", null))
        {
            Assert.Equal(HttpStatusCode.OK, suspend.StatusCode);
        }
        await EveryReplicaAfterTheBroadcast(clients, tenant.Id, since, "/projects", HttpStatusCode.Forbidden);

        since = DateTimeOffset.UtcNow;
        using (var resume = await admin.PostAsync($"/admin/tenants/{tenant.Id}/resume", null))
        {
            Assert.Equal(HttpStatusCode.OK, resume.StatusCode);
        }
        await EveryReplicaAfterTheBroadcast(clients, tenant.Id, since, "/projects", HttpStatusCode.OK);
        clients.ForEach(client => client.Dispose());
    }

    [Fact]
    public async Task Plan_features_gate_search_and_audit_events()
    {
        using var free = await TestTenants.CreateAsync(stack.App, "free");
        using var pro = await TestTenants.CreateAsync(stack.App, "pro");
        using var business = await TestTenants.CreateAsync(stack.App, "business");
        var project = (await pro.CreateProjectAsync("Search me")).GetProperty("id").GetString()!;
        await pro.CreateTaskAsync(project, "Quarterly kangaroo census");
        await pro.CreateTaskAsync(project, "Unrelated chore");

        using (var gated = await free.Api.GetAsync("/tasks/search?q=kangaroo"))
        {
            Assert.Equal(HttpStatusCode.NotFound, gated.StatusCode);
            Assert.Equal("application/problem+json", gated.Content.Headers.ContentType?.MediaType);
        }
        var found = await TestTenant.ExpectAsync(await pro.Api.GetAsync("/tasks/search?q=kangaroo"), HttpStatusCode.OK);
        Assert.Equal(1, found.GetProperty("total").GetInt32());
        Assert.Equal("Quarterly kangaroo census", found.GetProperty("items")[0].GetProperty("title").GetString());

        Assert.Equal(HttpStatusCode.NotFound, (await pro.Api.GetAsync("/audit-events")).StatusCode);
        await business.CreateProjectAsync("Audited");
        var trail = await TestTenant.ExpectAsync(await business.Api.GetAsync("/audit-events"), HttpStatusCode.OK);
        Assert.Contains("project.create", trail.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("action").GetString()));

        var info = await TestTenant.ExpectAsync(await business.Api.GetAsync("/tenant"), HttpStatusCode.OK);
        Assert.Equal(["audit-events", "search"], info.GetProperty("features").EnumerateArray().Select(f => f.GetString()!).Order());
    }

    [Fact]
    public async Task A_platform_admin_acts_on_a_tenant_by_slug_and_leaves_an_audit_event()
    {
        using var tenant = await TestTenants.CreateAsync(stack.App, "business");
        await tenant.CreateProjectAsync("Visible to support");
        var adminToken = await stack.App.TokenAsync("platform-admin", await stack.App.ParameterAsync("platform-admin-secret"));
        using var admin = stack.App.Authorized("api", adminToken);

        using (var withoutTenant = await admin.GetAsync("/projects"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, withoutTenant.StatusCode);
        }
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/projects") { Headers = { { "X-Tenant", tenant.Slug } } })
        using (var response = await admin.SendAsync(request))
        {
            var page = await TestTenant.ExpectAsync(response, HttpStatusCode.OK);
            Assert.Equal(1, page.GetProperty("total").GetInt32());
        }
        var trail = await TestTenant.ExpectAsync(await tenant.Api.GetAsync("/audit-events"), HttpStatusCode.OK);
        var access = trail.GetProperty("items").EnumerateArray().Single(e => e.GetProperty("action").GetString() == "platform-admin.access");
        Assert.Equal("platform-admin", access.GetProperty("actor").GetString());
        Assert.Equal("GET /projects", access.GetProperty("target").GetString());
    }

    private async Task ExpectStatus(string token, HttpStatusCode expected)
    {
        using var client = stack.App.Authorized("api", token);
        using var response = await client.GetAsync("/projects");
        Assert.True(expected == response.StatusCode, $"expected {(int)expected}, got {(int)response.StatusCode} for token {token[..Math.Min(20, token.Length)]}…");
        if (expected != HttpStatusCode.OK)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    /// <summary>
    /// Each replica applied the tenant's registry change within a second of its broadcast (the services' own clocks),
    /// and from then on answers <paramref name="expected"/>.
    /// </summary>
    private async Task EveryReplicaAfterTheBroadcast(IReadOnlyList<HttpClient> replicas, Guid tenantId, DateTimeOffset since, string path, HttpStatusCode expected)
    {
        await RegistryChangeWatch.AppliedEverywhereAsync(stack.App, "api", replicas.Count, tenantId.ToString(), since);
        foreach (var replica in replicas)
        {
            using var response = await replica.GetAsync(path);
            Assert.True(response.StatusCode == expected, $"{replica.BaseAddress}{path.TrimStart('/')} answered {(int)response.StatusCode} once it had the change");
        }
    }
}
