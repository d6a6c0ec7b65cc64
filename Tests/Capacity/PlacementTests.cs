using System.Net;
using Aspire.Hosting.Testing;
using Npgsql;
using TieredTenancy.Tests.Provisioning;
using TieredTenancy.Tests.Stack;
using TieredTenancy.Tests.TenantPlane;

namespace TieredTenancy.Tests.Capacity;

/// <summary>With two dedicated servers, new database tenants go where there is the most room, as GET /admin/servers reports it.</summary>
[Collection(OperationsCollection.Name)]
public sealed class PlacementTests(OperationsFixture stack)
{
    /// <summary>Connections held on one server: a fifth of the default budget of 200, far more than either server's share of tenants.</summary>
    private const int HeldConnections = 40;

    [Fact]
    public async Task A_new_database_tenant_goes_to_the_dedicated_server_with_the_most_room()
    {
        using var admin = await stack.App.AdminClientAsync();
        var servers = (await TestTenant.ExpectAsync(await admin.GetAsync("/admin/servers"), HttpStatusCode.OK)).EnumerateArray()
            .Where(server => server.GetProperty("kind").GetString() == "dedicated")
            .Select(server => server.GetProperty("name").GetString()!)
            .ToList();
        Assert.Equal(2, servers.Count);

        // Each server in turn is made clearly fuller (connections of a tenant login held open on it): every new tenant goes to the other.
        foreach (var fuller in servers)
        {
            var roomier = servers.Single(server => server != fuller);
            await using var held = await HoldConnectionsAsync(admin, fuller);
            var report = (await TestTenant.ExpectAsync(await admin.GetAsync("/admin/servers"), HttpStatusCode.OK)).EnumerateArray()
                .Single(server => server.GetProperty("name").GetString() == fuller);
            Assert.True(report.GetProperty("connections").GetProperty("tenants").GetInt64() >= HeldConnections,
                $"the report should count the {HeldConnections} held connections on {fuller}: {report}");
            for (var i = 0; i < 2; i++)
            {
                var tenant = await admin.CreateTenantAsync("enterprise");
                Assert.Equal(roomier, tenant.GetProperty("placement").GetProperty("server").GetString());
            }
        }
    }

    /// <summary>Opens <see cref="HeldConnections"/> sessions on <paramref name="server"/> as a database tenant placed there (made for it if needed).</summary>
    private async Task<HeldSessions> HoldConnectionsAsync(HttpClient admin, string server)
    {
        Guid? tenantId = null;
        for (var attempt = 0; attempt < 10 && tenantId is null; attempt++)
        {
            var tenant = await admin.CreateTenantAsync("enterprise");
            if (tenant.GetProperty("placement").GetProperty("server").GetString() == server)
            {
                tenantId = Guid.Parse(tenant.GetProperty("id").GetString()!);
            }
        }
        Assert.True(tenantId is not null, $"ten new database tenants in a row went elsewhere than {server}");
        var credentials = await CatalogSecrets.TenantCredentialsAsync(stack.App, tenantId.Value);
        var address = new NpgsqlConnectionStringBuilder(await stack.App.GetConnectionStringAsync(server));
        var sessions = new HeldSessions();
        for (var i = 0; i < HeldConnections; i++)
        {
            var connection = new NpgsqlConnection(CatalogSecrets.LoginTo(address, credentials));
            await connection.OpenAsync();
            sessions.Add(connection);
        }
        return sessions;
    }

    private sealed class HeldSessions : List<NpgsqlConnection>, IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            foreach (var connection in this)
            {
                await connection.DisposeAsync();
            }
        }
    }
}
