using System.Net;
using System.Text.Json;
using TieredTenancy.Tests.Stack;
using TieredTenancy.Tests.TenantPlane;
using TieredTenancy.Tenancy.Registry;
using Xunit.Abstractions;

namespace TieredTenancy.Tests.Capacity;

/// <summary>GET /admin/servers reports each server's tenants, connections against its budget and database sizes, as PostgreSQL and the catalog have them.</summary>
[Collection(CapacityCollection.Name)]
public sealed class ServerReportTests(CapacityFixture stack, ITestOutputHelper output)
{
    [Fact]
    public async Task The_server_report_shows_tenants_connections_budget_and_sizes_of_every_server()
    {
        using var tenant = await TestTenants.CreateAsync(stack.App, "enterprise");
        await TestTenant.ExpectAsync(await tenant.Api.GetAsync("/projects"), HttpStatusCode.OK);
        using var row = await TestTenants.CreateAsync(stack.App, "free");

        using var admin = await stack.App.AdminClientAsync();
        var servers = (await TestTenant.ExpectAsync(await admin.GetAsync("/admin/servers"), HttpStatusCode.OK)).EnumerateArray().ToList();
        output.WriteLine(JsonSerializer.Serialize(servers.Select(server => new
        {
            name = server.GetProperty("name").GetString(),
            tenants = server.GetProperty("tenants").GetProperty("total").GetInt32(),
            connections = server.GetProperty("connections").ToString(),
            databases = server.GetProperty("databases").GetArrayLength(),
            totalBytes = server.GetProperty("totalBytes").GetInt64(),
        })));

        var shared = servers.Single(server => server.GetProperty("name").GetString() == "postgres");
        Assert.Equal("shared", shared.GetProperty("kind").GetString());
        Assert.True(shared.GetProperty("tenants").GetProperty("row").GetInt32() >= 1);
        Assert.Contains(shared.GetProperty("databases").EnumerateArray(), database => database.GetProperty("name").GetString() == "tenants");

        var dedicated = servers.Single(server => server.GetProperty("name").GetString() == "postgres-dedicated");
        Assert.Equal("dedicated", dedicated.GetProperty("kind").GetString());
        Assert.True(dedicated.GetProperty("tenants").GetProperty("database").GetInt32() >= 1);
        var connections = dedicated.GetProperty("connections");
        Assert.Equal(CapacityFixture.DedicatedConnectionBudget, connections.GetProperty("budget").GetInt32());
        Assert.Equal(300, connections.GetProperty("maxConnections").GetInt32());
        Assert.InRange(connections.GetProperty("tenants").GetInt64(), 1, CapacityFixture.DedicatedConnectionBudget);
        Assert.True(connections.GetProperty("total").GetInt64() >= connections.GetProperty("tenants").GetInt64());
        var database = dedicated.GetProperty("databases").EnumerateArray().Single(d => d.GetProperty("name").GetString() == TenantNames.Database(tenant.Id));
        Assert.True(database.GetProperty("bytes").GetInt64() > 1_000_000, "a cloned tenant database holds megabytes of catalog");
    }
}
