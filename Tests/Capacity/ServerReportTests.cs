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

        // The tenants per server and tier as the catalog has them (the collection runs one test at a time, so nothing is created meanwhile).
        await using var catalog = await stack.App.OpenAsync("catalog");
        async Task<int> CatalogCountAsync(string server, string isolation) => (int)await catalog.ScalarAsync<long>(
            "SELECT count(*) FROM tenants WHERE placement_server = $1 AND isolation = $2 AND status NOT IN ('Deleted', 'Provisioning')", server, isolation);
        foreach (var server in servers)
        {
            // A server's size is the sum of the databases it lists.
            var bytes = server.GetProperty("databases").EnumerateArray().Sum(database => database.GetProperty("bytes").GetInt64());
            Assert.True(bytes > 0, $"{server.GetProperty("name")} lists no database bytes");
            Assert.Equal(bytes, server.GetProperty("totalBytes").GetInt64());
        }

        var shared = servers.Single(server => server.GetProperty("name").GetString() == "postgres");
        Assert.Equal("shared", shared.GetProperty("kind").GetString());
        Assert.Equal(await CatalogCountAsync("postgres", "Row"), shared.GetProperty("tenants").GetProperty("row").GetInt32());
        Assert.Equal(await CatalogCountAsync("postgres", "Schema"), shared.GetProperty("tenants").GetProperty("schema").GetInt32());
        Assert.True(shared.GetProperty("tenants").GetProperty("row").GetInt32() >= 1);
        Assert.Contains(shared.GetProperty("databases").EnumerateArray(), database => database.GetProperty("name").GetString() == "tenants");

        var dedicated = servers.Single(server => server.GetProperty("name").GetString() == "postgres-dedicated");
        Assert.Equal("dedicated", dedicated.GetProperty("kind").GetString());
        Assert.Equal(await CatalogCountAsync("postgres-dedicated", "Database"), dedicated.GetProperty("tenants").GetProperty("database").GetInt32());
        Assert.True(dedicated.GetProperty("tenants").GetProperty("database").GetInt32() >= 1);
        var connections = dedicated.GetProperty("connections");
        Assert.Equal(CapacityFixture.DedicatedConnectionBudget, connections.GetProperty("budget").GetInt32());
        Assert.Equal(300, connections.GetProperty("maxConnections").GetInt32());
        Assert.InRange(connections.GetProperty("tenants").GetInt64(), 1, CapacityFixture.DedicatedConnectionBudget);
        Assert.True(connections.GetProperty("total").GetInt64() >= connections.GetProperty("tenants").GetInt64());
        var database = dedicated.GetProperty("databases").EnumerateArray().Single(d => d.GetProperty("name").GetString() == TenantNames.Database(tenant.Id));
        Assert.True(database.GetProperty("bytes").GetInt64() > 1_000_000, "a cloned tenant database holds megabytes of catalog");
        // PostgreSQL's own figure for that database, read a moment later, within a megabyte (a request may have written meanwhile).
        await using (var server = await stack.App.OpenAsync("postgres-dedicated"))
        {
            var actual = await server.ScalarAsync<long>("SELECT pg_database_size($1)", TenantNames.Database(tenant.Id));
            Assert.InRange(database.GetProperty("bytes").GetInt64(), actual - 1_048_576, actual + 1_048_576);
        }
    }
}
