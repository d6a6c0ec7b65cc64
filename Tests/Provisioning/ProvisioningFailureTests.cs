using System.Net;
using System.Net.Http.Json;
using TieredTenancy.Tests.Stack;

namespace TieredTenancy.Tests.Provisioning;

/// <summary>A step that fails halfway leaves no schema, database, role or registry row behind, and a retry succeeds.</summary>
[Collection(StackCollection.Name)]
public sealed class ProvisioningFailureTests(StackFixture stack)
{
    [Theory]
    [InlineData("free", "registry-written")]
    [InlineData("business", "registry-written")]
    [InlineData("business", "schema-created")]
    [InlineData("business", "schema-migrated")]
    [InlineData("business", "storage-created")]
    [InlineData("enterprise", "database-role-created")]
    [InlineData("enterprise", "database-created")]
    [InlineData("enterprise", "database-granted")]
    [InlineData("enterprise", "storage-created")]
    public async Task A_failure_at_any_step_leaves_nothing_and_a_retry_succeeds(string plan, string step)
    {
        using var admin = await stack.App.AdminClientAsync();
        var slug = AdminApi.NewSlug("fail");
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/admin/tenants")
        {
            Content = JsonContent.Create(new { slug, name = "Doomed", plan }),
            Headers = { { "X-Fault-Injection", step } },
        })
        using (var failed = await admin.SendAsync(request))
        {
            Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
            Assert.Equal("application/problem+json", failed.Content.Headers.ContentType?.MediaType);
        }

        await using var catalog = await stack.App.OpenAsync("catalog");
        Assert.Equal(0L, await catalog.ScalarAsync<long>("SELECT count(*) FROM tenants WHERE slug = $1", slug));
        if (plan == "free")
        {
            // A row tenant is one registry write: it failed before anything was written, so there is nothing to undo.
            Assert.Equal(0L, await catalog.ScalarAsync<long>("SELECT count(*) FROM audit_events WHERE detail LIKE $1", $"slug={slug}%"));
            Assert.Equal("active", (await admin.CreateTenantAsync(plan, slug)).GetProperty("status").GetString());
            return;
        }
        var undone = await catalog.ScalarAsync<Guid>(
            "SELECT tenant_id FROM audit_events WHERE action = 'tenant.create.undone' AND detail = $1", $"slug={slug}");
        Assert.NotEqual(Guid.Empty, undone);
        Assert.Equal(0L, await catalog.ScalarAsync<long>("SELECT count(*) FROM storage_targets WHERE tenant_id = $1", undone));

        var compact = undone.ToString("N");
        await using (var shared = await stack.App.OpenAsync("tenants"))
        {
            Assert.Equal(0L, await shared.ScalarAsync<long>("SELECT count(*) FROM pg_namespace WHERE nspname = $1", $"t_{compact}"));
            Assert.Equal(0L, await shared.ScalarAsync<long>("SELECT count(*) FROM pg_roles WHERE rolname = $1", $"t_{compact}"));
        }
        await using (var dedicated = await stack.App.OpenAsync("postgres-dedicated"))
        {
            Assert.Equal(0L, await dedicated.ScalarAsync<long>("SELECT count(*) FROM pg_database WHERE datname = $1", $"tdb_{compact}"));
            Assert.Equal(0L, await dedicated.ScalarAsync<long>("SELECT count(*) FROM pg_roles WHERE rolname = $1", $"tdb_{compact}"));
        }

        var retried = await admin.CreateTenantAsync(plan, slug);
        Assert.Equal("active", retried.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Concurrent_creates_of_one_slug_give_one_201_and_one_409()
    {
        using var admin = await stack.App.AdminClientAsync();
        var slug = AdminApi.NewSlug("race");
        var attempts = await Task.WhenAll(Enumerable.Range(0, 2).Select(async _ =>
        {
            using var response = await admin.PostJsonAsync("/admin/tenants", new { slug, name = "Race", plan = "business" });
            return response.StatusCode;
        }));
        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Conflict], attempts.Order().ToArray());

        await using var catalog = await stack.App.OpenAsync("catalog");
        var id = await catalog.ScalarAsync<Guid>("SELECT id FROM tenants WHERE slug = $1", slug);
        await using var shared = await stack.App.OpenAsync("tenants");
        // Exactly one schema exists for that slug's tenant, and no stray one for the loser.
        Assert.Equal(1L, await shared.ScalarAsync<long>("SELECT count(*) FROM pg_namespace WHERE nspname = $1", $"t_{id:N}"));
    }
}
