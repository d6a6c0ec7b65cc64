using System.Net;
using Aspire.Hosting.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using TieredTenancy.Tests.Stack;

namespace TieredTenancy.Tests.Provisioning;

/// <summary>Client-credentials tokens: signed JWTs whose keys are published, with the right claims per client.</summary>
[Collection(StackCollection.Name)]
public sealed class TokenTests(StackFixture stack)
{
    [Fact]
    public async Task Tokens_are_JWTs_signed_with_the_published_keys_and_carry_role_and_tenant()
    {
        using var admin = await stack.App.AdminClientAsync();
        var tenant = await admin.CreateTenantAsync("business");
        var tenantId = tenant.GetProperty("id").GetString()!;
        var (clientId, secret) = await admin.CreateClientAsync(tenantId, "member");

        using var tokenResponse = await stack.App.RequestTokenAsync(clientId, secret);
        var body = await tokenResponse.JsonAsync();
        Assert.Equal("Bearer", body.GetProperty("token_type").GetString());
        Assert.InRange(body.GetProperty("expires_in").GetInt32(), 3590, 3600);

        var keys = await PublishedKeysAsync();
        var handler = new JsonWebTokenHandler();
        var parameters = new TokenValidationParameters
        {
            ValidIssuer = "http://provisioner/",
            ValidAudience = "tieredtenancy",
            IssuerSigningKeys = keys,
        };
        var tenantToken = await handler.ValidateTokenAsync(body.GetProperty("access_token").GetString(), parameters);
        Assert.True(tenantToken.IsValid, tenantToken.Exception?.Message);
        Assert.Equal(tenantId, tenantToken.Claims["tenant_id"]);
        Assert.Equal("member", tenantToken.Claims["role"]);
        Assert.Equal(clientId, tenantToken.Claims["sub"]);
        Assert.Equal("RS256", ((JsonWebToken)tenantToken.SecurityToken).Alg);

        var adminToken = await handler.ValidateTokenAsync(await stack.App.TokenAsync("platform-admin", await stack.App.ParameterAsync("platform-admin-secret")), parameters);
        Assert.True(adminToken.IsValid);
        Assert.Equal("platform-admin", adminToken.Claims["role"]);
        Assert.False(adminToken.Claims.ContainsKey("tenant_id"));

        // A token signed with another key is not one of ours.
        var forged = handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "http://provisioner/",
            Audience = "tieredtenancy",
            Claims = new Dictionary<string, object> { ["sub"] = "platform-admin", ["role"] = "platform-admin" },
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(System.Security.Cryptography.RSA.Create(2048)) { KeyId = keys[0].KeyId }, SecurityAlgorithms.RsaSha256),
        });
        Assert.False((await handler.ValidateTokenAsync(forged, parameters)).IsValid);
        using var forgedClient = stack.App.Authorized("provisioner", forged);
        using var refused = await forgedClient.GetAsync("/admin/plans");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task A_wrong_secret_or_unknown_client_gets_no_token()
    {
        using var wrongSecret = await stack.App.RequestTokenAsync("platform-admin", "not-the-secret");
        Assert.Equal(HttpStatusCode.Unauthorized, wrongSecret.StatusCode);
        Assert.Equal("invalid_client", (await wrongSecret.JsonAsync()).GetProperty("error").GetString());

        using var unknown = await stack.App.RequestTokenAsync("tc_nobody", "whatever");
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
    }

    [Fact]
    public async Task Suspending_a_tenant_stops_its_tokens_and_resuming_restores_them_with_audit_events()
    {
        using var admin = await stack.App.AdminClientAsync();
        var tenant = await admin.CreateTenantAsync("pro");
        var id = tenant.GetProperty("id").GetString()!;
        var (clientId, secret) = await admin.CreateClientAsync(id);

        using (var suspended = await admin.PostAsync($"/admin/tenants/{id}/suspend", null))
        {
            Assert.Equal(HttpStatusCode.OK, suspended.StatusCode);
            Assert.Equal("suspended", (await suspended.JsonAsync()).GetProperty("status").GetString());
        }
        using (var refused = await stack.App.RequestTokenAsync(clientId, secret))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal("invalid_grant", (await refused.JsonAsync()).GetProperty("error").GetString());
        }
        using (var suspendTwice = await admin.PostAsync($"/admin/tenants/{id}/suspend", null))
        {
            Assert.Equal(HttpStatusCode.OK, suspendTwice.StatusCode);
        }
        using (var resumed = await admin.PostAsync($"/admin/tenants/{id}/resume", null))
        {
            Assert.Equal("active", (await resumed.JsonAsync()).GetProperty("status").GetString());
        }
        Assert.NotEmpty(await stack.App.TokenAsync(clientId, secret));

        await using var catalog = await stack.App.OpenAsync("catalog");
        // The filter, proven: exactly the active pro tenants the catalog holds, no other plan or status, this one among them.
        using (var suspendedOther = await admin.PostAsync($"/admin/tenants/{(await admin.CreateTenantAsync("pro")).GetProperty("id").GetString()}/suspend", null))
        {
            Assert.Equal(HttpStatusCode.OK, suspendedOther.StatusCode);
        }
        await admin.CreateTenantAsync("business");
        var activePro = await catalog.ScalarAsync<long>("SELECT count(*) FROM tenants WHERE plan = 'pro' AND status = 'Active'");
        var listed = new List<System.Text.Json.JsonElement>();
        for (var pageNumber = 1; ; pageNumber++)
        {
            using var response = await admin.GetAsync($"/admin/tenants?plan=pro&status=active&page={pageNumber}&pageSize=50");
            var page = await response.JsonAsync();
            Assert.Equal(50, page.GetProperty("pageSize").GetInt32());
            Assert.Equal(activePro, page.GetProperty("total").GetInt32());
            var items = page.GetProperty("items").EnumerateArray().ToList();
            listed.AddRange(items);
            if (items.Count < 50)
            {
                break;
            }
        }
        Assert.Equal(activePro, listed.Count);
        Assert.All(listed, tenant => Assert.Equal(("pro", "active"), (tenant.GetProperty("plan").GetString(), tenant.GetProperty("status").GetString())));
        Assert.Contains(listed, tenant => tenant.GetProperty("id").GetString() == id);

        Assert.Equal(1L, await catalog.ScalarAsync<long>("SELECT count(*) FROM audit_events WHERE tenant_id = $1 AND action = 'tenant.suspend'", Guid.Parse(id)));
        Assert.Equal(1L, await catalog.ScalarAsync<long>("SELECT count(*) FROM audit_events WHERE tenant_id = $1 AND action = 'tenant.resume'", Guid.Parse(id)));
        Assert.Equal(1L, await catalog.ScalarAsync<long>("SELECT count(*) FROM audit_events WHERE tenant_id = $1 AND action = 'client.create'", Guid.Parse(id)));
        // The secret is stored hashed, never as given.
        Assert.Equal(0L, await catalog.ScalarAsync<long>("SELECT count(*) FROM \"OpenIddictApplications\" WHERE client_secret = $1", secret));
    }

    [Fact]
    public async Task Plans_are_listed_with_isolation_features_and_limits()
    {
        using var admin = await stack.App.AdminClientAsync();
        using var response = await admin.GetAsync("/admin/plans");
        var plans = (await response.JsonAsync()).EnumerateArray().ToDictionary(plan => plan.GetProperty("name").GetString()!);
        Assert.Equal(["business", "enterprise", "free", "pro"], plans.Keys.Order());
        Assert.Equal("row", plans["free"].GetProperty("isolation").GetString());
        Assert.Equal("schema", plans["business"].GetProperty("isolation").GetString());
        Assert.Equal("database", plans["enterprise"].GetProperty("isolation").GetString());
        Assert.Contains("search", plans["pro"].GetProperty("features").EnumerateArray().Select(f => f.GetString()));
        Assert.DoesNotContain("search", plans["free"].GetProperty("features").EnumerateArray().Select(f => f.GetString()));
        Assert.True(plans["free"].GetProperty("limits").GetProperty("requestsPerMinute").GetInt32() > 0);
    }

    private async Task<IList<SecurityKey>> PublishedKeysAsync()
    {
        using var client = stack.App.CreateHttpClient("provisioner");
        var discovery = await (await client.GetAsync("/.well-known/openid-configuration")).JsonAsync();
        Assert.Equal("http://provisioner/", discovery.GetProperty("issuer").GetString());
        var jwksPath = new Uri(discovery.GetProperty("jwks_uri").GetString()!).AbsolutePath;
        var jwks = new JsonWebKeySet(await client.GetStringAsync(jwksPath));
        Assert.NotEmpty(jwks.Keys);
        Assert.All(jwks.Keys, key => Assert.False(key.HasPrivateKey));
        return jwks.GetSigningKeys();
    }
}
