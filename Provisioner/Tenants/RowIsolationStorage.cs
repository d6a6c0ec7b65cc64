using TieredTenancy.Provisioner.Storage;
using TieredTenancy.Tenancy.Plans;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Tenants;

/// <summary>Row tier: the shared tables already exist with RLS; a tenant is its registry row.</summary>
public sealed class RowIsolationStorage(TenantServers servers, TenantMigrations migrations) : IIsolationStorage
{
    public IsolationKind Kind => IsolationKind.Row;

    public Task<Placement> PlaceAsync(Guid tenantId, CancellationToken cancellationToken) =>
        Task.FromResult(new Placement { Server = servers.SharedServer, Database = servers.SharedDatabase, Schema = "public" });

    public Task<string> CreateAsync(Tenant tenant, ProvisioningFaults faults, CancellationToken cancellationToken) =>
        Task.FromResult(migrations.LatestVersion);

    public Task RemoveAsync(Tenant tenant, CancellationToken cancellationToken) => Task.CompletedTask;
}
