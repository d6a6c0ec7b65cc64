using System.Net;
using System.Net.Http.Json;
using TieredTenancy.Tests.Provisioning;
using TieredTenancy.Tests.Stack;
using TieredTenancy.Tests.TenantPlane;

namespace TieredTenancy.Tests.Capacity;

/// <summary>
/// Two dedicated servers that take one database tenant each: once both hold theirs, a new database
/// tenant and a move into the database tier are refused at once with 503 (nothing made, nothing
/// started), and rebalancing onto a full server with 409.
/// </summary>
[Collection(FullServersCollection.Name)]
public sealed class FullServerTests(FullServersFixture stack)
{
    [Fact]
    public async Task When_every_dedicated_server_is_full_database_tenants_and_moves_into_the_tier_are_refused_at_once()
    {
        using var admin = await stack.App.AdminClientAsync();
        var first = await admin.CreateTenantAsync("enterprise");
        var second = await admin.CreateTenantAsync("enterprise");
        // The one with room: each server has one now.
        Assert.NotEqual(first.GetProperty("placement").GetProperty("server").GetString(), second.GetProperty("placement").GetProperty("server").GetString());

        var slug = AdminApi.NewSlug("full");
        await TestTenant.ExpectProblemAsync(await admin.PostJsonAsync("/admin/tenants", new { slug, name = "No room", plan = "enterprise" }),
            HttpStatusCode.ServiceUnavailable, "holds its limit of 1 database tenants");
        var listed = await TestTenant.ExpectAsync(await admin.GetAsync($"/admin/tenants?pageSize=200"), HttpStatusCode.OK);
        Assert.DoesNotContain(listed.GetProperty("items").EnumerateArray(), item => item.GetProperty("slug").GetString() == slug);

        var pro = await admin.CreateTenantAsync("pro");
        var proId = pro.GetProperty("id").GetString();
        await TestTenant.ExpectProblemAsync(await admin.PutAsJsonAsync($"/admin/tenants/{proId}/plan", new { plan = "enterprise" }),
            HttpStatusCode.ServiceUnavailable, "holds its limit of 1 database tenants");
        var unmoved = await TestTenant.ExpectAsync(await admin.GetAsync($"/admin/tenants/{proId}"), HttpStatusCode.OK);
        Assert.Equal("active", unmoved.GetProperty("status").GetString());
        Assert.Equal("pro", unmoved.GetProperty("plan").GetString());
        // Nothing was started: another plan of its own tier changes at once.
        await TestTenant.ExpectAsync(await admin.PutAsJsonAsync($"/admin/tenants/{proId}/plan", new { plan = "free" }), HttpStatusCode.OK);

        var otherServer = second.GetProperty("placement").GetProperty("server").GetString();
        await TestTenant.ExpectProblemAsync(await admin.PostAsJsonAsync($"/admin/tenants/{first.GetProperty("id").GetString()}/move", new { server = otherServer }),
            HttpStatusCode.Conflict, $"{otherServer} holds its limit of 1 database tenants");
    }
}

/// <summary>A stack of its own whose two dedicated servers take one database tenant each.</summary>
public sealed class FullServersFixture : StackFixture
{
    protected override string[] Settings => ["Infrastructure:DedicatedServerCount=2", "Capacity:DedicatedServerTenantLimit=1"];
}

[CollectionDefinition(Name)]
public sealed class FullServersCollection : ICollectionFixture<FullServersFixture>
{
    public const string Name = "full-servers";
}
