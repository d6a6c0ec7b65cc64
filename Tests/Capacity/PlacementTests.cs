using System.Net;
using TieredTenancy.Tests.Provisioning;
using TieredTenancy.Tests.Stack;
using TieredTenancy.Tests.TenantPlane;

namespace TieredTenancy.Tests.Capacity;

/// <summary>With two dedicated servers, new database tenants go where there is the most room, as GET /admin/servers reports it.</summary>
[Collection(OperationsCollection.Name)]
public sealed class PlacementTests(OperationsFixture stack)
{
    [Fact]
    public async Task A_new_database_tenant_goes_to_the_dedicated_server_with_the_most_room()
    {
        using var admin = await stack.App.AdminClientAsync();
        for (var i = 0; i < 4; i++)
        {
            var servers = (await TestTenant.ExpectAsync(await admin.GetAsync("/admin/servers"), HttpStatusCode.OK)).EnumerateArray()
                .Where(server => server.GetProperty("kind").GetString() == "dedicated")
                .Select(server => (
                    Name: server.GetProperty("name").GetString()!,
                    Tenants: server.GetProperty("tenants").GetProperty("database").GetInt32(),
                    Used: Math.Max(server.GetProperty("tenants").GetProperty("database").GetInt32() / (double)server.GetProperty("tenantLimit").GetInt32(),
                        server.GetProperty("connections").GetProperty("tenants").GetInt64() / (double)server.GetProperty("connections").GetProperty("budget").GetInt32())))
                .ToList();
            Assert.Equal(2, servers.Count);
            var roomiest = servers.OrderBy(server => server.Used).ThenBy(server => server.Tenants).First();
            // Connections move between the report and the placement; only a clear difference in room is asserted.
            var clear = Math.Abs(servers[0].Used - servers[1].Used) > 0.02 || servers[0].Tenants != servers[1].Tenants;

            var tenant = await admin.CreateTenantAsync("enterprise");
            var placed = tenant.GetProperty("placement").GetProperty("server").GetString();
            if (clear)
            {
                Assert.Equal(roomiest.Name, placed);
            }
        }
    }
}
