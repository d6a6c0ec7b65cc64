using Microsoft.EntityFrameworkCore;
using TieredTenancy.Provisioner.Servers;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Storage;

/// <summary>The migration version of each place tenant data lives, as the catalog's storage targets record it.</summary>
public sealed class StorageVersions(CatalogDbContext catalog, TenantServers servers)
{
    public async Task<string> SharedTablesAsync(CancellationToken cancellationToken) =>
        await catalog.StorageTargets.AsNoTracking()
            .Where(target => target.Kind == StorageTargetKind.SharedTables && target.Server == servers.SharedServer)
            .Select(target => target.MigrationVersion)
            .SingleOrDefaultAsync(cancellationToken)
        ?? throw new InvalidOperationException("The shared tables have no storage target; the Provisioner's start prepares them.");

    public async Task<string?> TemplateAsync(string server, CancellationToken cancellationToken) =>
        await catalog.StorageTargets.AsNoTracking()
            .Where(target => target.Kind == StorageTargetKind.Template && target.Server == server)
            .Select(target => target.MigrationVersion)
            .SingleOrDefaultAsync(cancellationToken);

    /// <summary>The version of the storage a placement is at (the shared tables', for the row tier).</summary>
    public async Task<string> OfPlacementAsync(Placement placement, CancellationToken cancellationToken) =>
        await catalog.StorageTargets.AsNoTracking()
            .Where(target => target.Server == placement.Server && target.Database == placement.Database && target.Schema == placement.Schema)
            .Select(target => target.MigrationVersion)
            .SingleOrDefaultAsync(cancellationToken)
        ?? throw new InvalidOperationException($"No storage target is recorded at {placement.Server}/{placement.Database}/{placement.Schema}.");
}
