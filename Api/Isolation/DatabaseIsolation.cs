using System.Data.Common;
using TieredTenancy.Api.Tenants;
using TieredTenancy.Tenancy.Isolation;
using TieredTenancy.Tenancy.Plans;

namespace TieredTenancy.Api.Isolation;

/// <summary>Database tier: the tenant's own bounded pool, with its own credentials, on its dedicated server.</summary>
public sealed class DatabaseIsolation(DedicatedDataSources dataSources) : IIsolationStrategy
{
    public IsolationKind Kind => IsolationKind.Database;

    public DbConnection CreateConnection(ResolvedTenant tenant) => dataSources.For(tenant).CreateConnection();

    public void DropPooledConnections(ResolvedTenant tenant) => dataSources.For(tenant).Clear();

    public TenantBinding Bind(ResolvedTenant tenant, bool writes) =>
        new(tenant.Id, TenantBinding.LoginRole, "public", tenant.Placement.Database, tenant.Placement.Epoch, writes);
}
