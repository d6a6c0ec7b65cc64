using System.Data.Common;
using Microsoft.Extensions.Options;
using Npgsql;
using TieredTenancy.Api.Tenants;
using TieredTenancy.Tenancy.Isolation;
using TieredTenancy.Tenancy.Plans;
using TieredTenancy.Tenancy.Storage;

namespace TieredTenancy.Api.Isolation;

/// <summary>Row tier: the shared pool as the app role; RLS on <c>app.tenant_id</c> and the EF query filter separate tenants.</summary>
public sealed class RowIsolation([FromKeyedServices("tenants")] NpgsqlDataSource shared, IOptions<TenantStorageOptions> options) : IIsolationStrategy
{
    private readonly string _database = SharedDatabaseName(shared, options.Value);

    public IsolationKind Kind => IsolationKind.Row;

    public DbConnection CreateConnection(ResolvedTenant tenant) => shared.CreateConnection();

    public void DropPooledConnections(ResolvedTenant tenant) => shared.Clear();

    public TenantBinding Bind(ResolvedTenant tenant, bool writes) =>
        new(tenant.Id, TenantBinding.LoginRole, "public", _database, tenant.Placement.Epoch, writes);

    /// <summary>The shared tenant database's name, read once from the pool's connection string (parsing it per request costs more than the rest of a binding).</summary>
    internal static string SharedDatabaseName(NpgsqlDataSource shared, TenantStorageOptions options) =>
        new NpgsqlConnectionStringBuilder(shared.ConnectionString).Database ?? options.SharedDatabase;
}
