using System.Net;
using System.Net.Http.Json;
using TieredTenancy.Tenancy.Storage;
using TieredTenancy.Tests.Moves;
using TieredTenancy.Tests.Stack;
using TieredTenancy.Tests.TenantPlane;

namespace TieredTenancy.Tests.Provisioning;

/// <summary>
/// A Provisioner that starts undoes the tenants a crashed creator left half-made, and only those: a
/// tenant another live instance is still creating (it holds the tenant's creation lock) is left to it.
/// </summary>
[Collection(OperationsCollection.Name)]
public sealed class UnfinishedProvisioningTests(OperationsFixture stack)
{
    [Fact]
    public async Task A_starting_Provisioner_leaves_a_tenant_another_instance_is_creating_and_undoes_it_once_its_creator_is_gone()
    {
        var app = stack.App;
        using var admin = await app.AdminClientAsync();
        using var tenant = await TestTenants.CreateAsync(app, "pro");
        // Another instance, midway: the registry row is written as Provisioning and the creator holds its lock.
        await using var creator = await app.OpenAsync("catalog");
        await creator.ExecuteAsync("UPDATE tenants SET status = 'Provisioning' WHERE id = $1", tenant.Id);
        await creator.ExecuteAsync($"SELECT pg_advisory_lock({AdvisoryLocks.TenantCreation}, hashtext($1::text))", tenant.Id);

        await ProvisionerProcess.KillAndRestartAsync(app);
        await using (var catalog = await app.OpenAsync("catalog"))
        {
            Assert.Equal("Provisioning", await catalog.ScalarAsync<string>("SELECT status FROM tenants WHERE id = $1", tenant.Id));
        }

        // The creator dies: its session, and with it the lock, ends. The next start undoes the tenant.
        await creator.CloseAsync();
        await ProvisionerProcess.KillAndRestartAsync(app);
        await using (var catalog = await app.OpenAsync("catalog"))
        {
            Assert.Equal(0L, await catalog.ScalarAsync<long>("SELECT count(*) FROM tenants WHERE id = $1", tenant.Id));
            Assert.Equal(1L, await catalog.ScalarAsync<long>("SELECT count(*) FROM audit_events WHERE tenant_id = $1 AND action = 'tenant.create.undone'", tenant.Id));
        }
        using var gone = await admin.GetAsync($"/admin/tenants/{tenant.Id}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }
}
