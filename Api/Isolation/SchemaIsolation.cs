using System.Data.Common;
using Microsoft.Extensions.Options;
using Npgsql;
using TieredTenancy.Api.Tenants;
using TieredTenancy.Tenancy.Isolation;
using TieredTenancy.Tenancy.Plans;
using TieredTenancy.Tenancy.Storage;

namespace TieredTenancy.Api.Isolation;

/// <summary>
/// Schema tier: the shared pool, switched per command to the tenant's role and schema, so a query
/// outside the tenant's schema is refused by PostgreSQL itself.
/// </summary>
public sealed class SchemaIsolation([FromKeyedServices("tenants")] NpgsqlDataSource shared, IOptions<TenantStorageOptions> options) : IIsolationStrategy
{
    private readonly string _database = RowIsolation.SharedDatabaseName(shared, options.Value);

    public IsolationKind Kind => IsolationKind.Schema;

    public DbConnection CreateConnection(ResolvedTenant tenant) => shared.CreateConnection();

    public void DropPooledConnections(ResolvedTenant tenant) => shared.Clear();

    public TenantBinding Bind(ResolvedTenant tenant, bool writes) =>
        new(tenant.Id,
            tenant.Placement.Role ?? throw new InvalidOperationException($"Schema tenant {tenant.Id} has no role."),
            tenant.Placement.Schema,
            _database,
            tenant.Placement.Epoch,
            writes);
}
