using System.Data.Common;
using TieredTenancy.Api.Tenants;
using TieredTenancy.Tenancy.Isolation;
using TieredTenancy.Tenancy.Plans;

namespace TieredTenancy.Api.Isolation;

/// <summary>
/// How a tenant of one isolation kind is reached: which connection, bound to what. One per tier like the
/// Provisioner's <c>ITierStorage</c>, but this binds a request's connection to its tenant's storage; that one creates, copies and drops the storage.
/// </summary>
public interface IIsolationStrategy
{
    IsolationKind Kind { get; }

    DbConnection CreateConnection(ResolvedTenant tenant);

    /// <summary>
    /// Closes the idle connections of the tenant's pool (those in use close when returned): its server cut one, so it
    /// likely cut them all (a restart, a failover, backends terminated), and Npgsql would otherwise hand them out one by one.
    /// </summary>
    void DropPooledConnections(ResolvedTenant tenant);

    /// <param name="writes">The request may write: its commands wait out a tier move's freeze.</param>
    TenantBinding Bind(ResolvedTenant tenant, bool writes);
}
