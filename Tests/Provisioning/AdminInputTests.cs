using System.Net;
using System.Text;
using Aspire.Hosting.Testing;
using TieredTenancy.Tests.Stack;

namespace TieredTenancy.Tests.Provisioning;

/// <summary>Bad input to the admin API gets the right 4xx as problem+json and changes nothing.</summary>
[Collection(StackCollection.Name)]
public sealed class AdminInputTests(StackFixture stack)
{
    [Theory]
    [InlineData("")]
    [InlineData("ab")]
    [InlineData("Acme")]
    [InlineData("1acme")]
    [InlineData("-acme")]
    [InlineData("acme corp")]
    [InlineData("acme_corp")]
    [InlineData("acme';drop table tenants;--")]
    [InlineData("x\"; DROP SCHEMA public CASCADE; --")]
    [InlineData("../../etc/passwd")]
    [InlineData("acme/../../admin")]
    [InlineData("acme%2f..")]
    [InlineData("ącme")]
    [InlineData("a123456789012345678901234567890123456789x")]
    public async Task A_bad_slug_answers_400_and_changes_nothing(string slug) =>
        await AssertRejectedAsync(HttpStatusCode.BadRequest, admin => admin.PostJsonAsync("/admin/tenants", new { slug, name = "Acme", plan = "free" }), "slug");

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("line\nbreak")]
    [InlineData("nul\0char")]
    public async Task A_bad_name_answers_400(string name) =>
        await AssertRejectedAsync(HttpStatusCode.BadRequest, admin => admin.PostJsonAsync("/admin/tenants", new { slug = AdminApi.NewSlug(), name, plan = "free" }), "name");

    [Fact]
    public async Task An_overlong_name_answers_400() =>
        await AssertRejectedAsync(HttpStatusCode.BadRequest,
            admin => admin.PostJsonAsync("/admin/tenants", new { slug = AdminApi.NewSlug(), name = new string('n', 201), plan = "free" }), "name");

    [Theory]
    [InlineData("platinum")]
    [InlineData("FREE")]
    [InlineData("free'; --")]
    public async Task An_unknown_plan_answers_400(string plan) =>
        await AssertRejectedAsync(HttpStatusCode.BadRequest, admin => admin.PostJsonAsync("/admin/tenants", new { slug = AdminApi.NewSlug(), name = "Acme", plan }), "plan");

    [Fact]
    public async Task A_duplicate_slug_answers_409()
    {
        using var admin = await stack.App.AdminClientAsync();
        var existing = await admin.CreateTenantAsync("free");
        var slug = existing.GetProperty("slug").GetString()!;
        await AssertRejectedAsync(HttpStatusCode.Conflict, client => client.PostJsonAsync("/admin/tenants", new { slug, name = "Again", plan = "pro" }), "already taken");
    }

    [Theory]
    [InlineData("{\"slug\": \"acme\", \"name\": ")]
    [InlineData("not json at all")]
    [InlineData("[1, 2, 3]")]
    [InlineData("{\"slug\": 42, \"name\": \"Acme\", \"plan\": \"free\"}")]
    [InlineData("")]
    public async Task Malformed_json_answers_400(string body) =>
        await AssertRejectedAsync(HttpStatusCode.BadRequest,
            admin => admin.PostAsync("/admin/tenants", new StringContent(body, Encoding.UTF8, "application/json")), null);

    [Fact]
    public async Task A_body_that_is_not_json_answers_415() =>
        await AssertRejectedAsync(HttpStatusCode.UnsupportedMediaType,
            admin => admin.PostAsync("/admin/tenants", new StringContent("slug=acme", Encoding.UTF8, "application/x-www-form-urlencoded")), "JSON");

    [Fact]
    public async Task An_oversized_body_answers_413()
    {
        var padding = new string('x', 200_000);
        await AssertRejectedAsync(HttpStatusCode.RequestEntityTooLarge,
            admin => admin.PostAsync("/admin/tenants", new StringContent($"{{\"slug\":\"{AdminApi.NewSlug()}\",\"name\":\"{padding}\",\"plan\":\"free\"}}", Encoding.UTF8, "application/json")), null);
    }

    [Theory]
    [InlineData("/admin/tenants?page=0")]
    [InlineData("/admin/tenants?pageSize=1000")]
    [InlineData("/admin/tenants?page=abc")]
    [InlineData("/admin/tenants?status=vanished")]
    [InlineData("/admin/tenants?plan=platinum")]
    [InlineData("/admin/tenants/not-a-slug!")]
    [InlineData("/admin/tenants/x';--/suspend")]
    [InlineData("/admin/tenants?plan=free%00")]
    [InlineData("/admin/tenants?status=%00")]
    public async Task Bad_query_and_route_values_answer_400_and_change_nothing(string path)
    {
        using var admin = await stack.App.AdminClientAsync();
        var since = await ClockAsync();
        var suspended = await SuspendedAsync();
        using var response = path.EndsWith("/suspend") ? await admin.PostAsync(path, null) : await admin.GetAsync(path);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(Nothing, await MadeSinceAsync(since));
        Assert.Equal(suspended, await SuspendedAsync());
    }

    [Fact]
    public async Task An_unknown_tenant_answers_404()
    {
        using var admin = await stack.App.AdminClientAsync();
        using var response = await admin.GetAsync($"/admin/tenants/{Guid.CreateVersion7()}");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Without_a_token_admin_routes_answer_401_and_change_nothing()
    {
        var since = await ClockAsync();
        using var anonymous = stack.App.CreateHttpClient("provisioner");
        using var create = await anonymous.PostJsonAsync("/admin/tenants", new { slug = AdminApi.NewSlug(), name = "Anon", plan = "free" });
        Assert.Equal(HttpStatusCode.Unauthorized, create.StatusCode);
        Assert.Equal("application/problem+json", create.Content.Headers.ContentType?.MediaType);
        using var list = await anonymous.GetAsync("/admin/plans");
        Assert.Equal(HttpStatusCode.Unauthorized, list.StatusCode);
        Assert.Equal(Nothing, await MadeSinceAsync(since));
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJwbGF0Zm9ybS1hZG1pbiIsInJvbGUiOiJwbGF0Zm9ybS1hZG1pbiJ9.")]
    public async Task A_bad_token_answers_401_and_changes_nothing(string token)
    {
        using var client = stack.App.Authorized("provisioner", token);
        using var response = await client.GetAsync("/admin/plans");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);

        var since = await ClockAsync();
        using var create = await client.PostJsonAsync("/admin/tenants", new { slug = AdminApi.NewSlug(), name = "Forged", plan = "enterprise" });
        Assert.Equal(HttpStatusCode.Unauthorized, create.StatusCode);
        Assert.Equal("application/problem+json", create.Content.Headers.ContentType?.MediaType);
        Assert.Equal(Nothing, await MadeSinceAsync(since));
    }

    [Fact]
    public async Task A_tenant_token_on_admin_routes_answers_403_and_changes_nothing()
    {
        using var admin = await stack.App.AdminClientAsync();
        var tenant = await admin.CreateTenantAsync("pro");
        var (clientId, secret) = await admin.CreateClientAsync(tenant.GetProperty("id").GetString()!, "admin");
        using var tenantClient = stack.App.Authorized("provisioner", await stack.App.TokenAsync(clientId, secret));

        var since = await ClockAsync();
        var suspended = await SuspendedAsync();
        using var create = await tenantClient.PostJsonAsync("/admin/tenants", new { slug = AdminApi.NewSlug(), name = "Sneaky", plan = "enterprise" });
        Assert.Equal(HttpStatusCode.Forbidden, create.StatusCode);
        Assert.Equal("application/problem+json", create.Content.Headers.ContentType?.MediaType);
        using var suspend = await tenantClient.PostAsync($"/admin/tenants/{tenant.GetProperty("id").GetString()}/suspend", null);
        Assert.Equal(HttpStatusCode.Forbidden, suspend.StatusCode);
        Assert.Equal(Nothing, await MadeSinceAsync(since));
        Assert.Equal(suspended, await SuspendedAsync());
    }

    private async Task AssertRejectedAsync(HttpStatusCode expected, Func<HttpClient, Task<HttpResponseMessage>> send, string? detailMentions)
    {
        using var admin = await stack.App.AdminClientAsync();
        var since = await ClockAsync();
        using var response = await send(admin);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        if (detailMentions is not null)
        {
            Assert.Contains(detailMentions, body);
        }
        Assert.Equal(Nothing, await MadeSinceAsync(since));
    }

    private static readonly (long, long, long, long) Nothing = (0, 0, 0, 0);

    private async Task<DateTime> ClockAsync()
    {
        await using var catalog = await stack.App.OpenAsync("catalog");
        return (await catalog.ScalarAsync<DateTime>("SELECT clock_timestamp()")).ToUniversalTime();
    }

    /// <summary>Suspended tenants: a refused suspension must not have suspended anything.</summary>
    private async Task<long> SuspendedAsync()
    {
        await using var catalog = await stack.App.OpenAsync("catalog");
        return await catalog.ScalarAsync<long>("SELECT count(*) FROM tenants WHERE status = 'Suspended'");
    }

    /// <summary>
    /// What a rejected request must not make, counted from the test's own start so that nothing an earlier test
    /// left counts: tenants and audit events since then, and schemas and databases of tenants whose ids
    /// (UUIDv7, time first) were made since then.
    /// </summary>
    private async Task<(long Tenants, long Schemas, long Databases, long Audit)> MadeSinceAsync(DateTime since)
    {
        const string MadeSince = "to_timestamp(('x' || substr(replace({0}, '_', ''), {1}, 12))::bit(48)::bigint / 1000.0) >= $1";
        await using var catalog = await stack.App.OpenAsync("catalog");
        await using var shared = await stack.App.OpenAsync("tenants");
        await using var dedicated = await stack.App.OpenAsync("postgres-dedicated");
        return (
            await catalog.ScalarAsync<long>("SELECT count(*) FROM tenants WHERE created_at >= $1", since),
            await shared.ScalarAsync<long>("SELECT count(*) FROM pg_namespace WHERE nspname ~ '^t_[0-9a-f]{32}$' AND " + string.Format(MadeSince, "nspname", 2), since),
            await dedicated.ScalarAsync<long>("SELECT count(*) FROM pg_database WHERE datname ~ '^tdb_[0-9a-f]{32}$' AND " + string.Format(MadeSince, "datname", 4), since),
            await catalog.ScalarAsync<long>("SELECT count(*) FROM audit_events WHERE at >= $1", since));
    }
}
