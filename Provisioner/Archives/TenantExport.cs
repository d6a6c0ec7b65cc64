using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TieredTenancy.Provisioner.Operations;
using TieredTenancy.Provisioner.Storage;
using TieredTenancy.Tenancy.Archives;
using TieredTenancy.Tenancy.Data;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Archives;

/// <summary>A tenant's data as an archive, read at one snapshot of its placement (see <see cref="TenantArchiveWriter"/>).</summary>
public sealed class TenantExport(IEnumerable<ITierStorage> tiers, StorageVersions versions, TenantTables tables, TenantArchiveSignature signature,
    IOptions<OperationOptions> operations)
{
    public async Task<TenantArchiveManifest> WriteAsync(Tenant tenant, Stream output, CancellationToken cancellationToken)
    {
        var tier = tiers.Single(t => t.Kind == tenant.Isolation);
        var version = await versions.OfPlacementAsync(tenant.Placement, cancellationToken);
        await using var connection = await tier.ConnectAsync(tenant.Placement, cancellationToken);
        await using var snapshot = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        var manifest = await TenantArchiveWriter.WriteAsync(output, connection, snapshot, tenant.Placement.Schema,
            new ArchivedTenant(tenant.Id, tenant.Slug, tenant.Name, tenant.Plan, tenant.Isolation.ToString().ToLowerInvariant()), version,
            tables.ParentsFirst, signature, cancellationToken, operations.Value.RowsPerStatement);
        await snapshot.CommitAsync(cancellationToken);
        return manifest;
    }
}
