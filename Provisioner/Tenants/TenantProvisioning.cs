using Microsoft.EntityFrameworkCore;
using Npgsql;
using TieredTenancy.Provisioner.Audit;
using TieredTenancy.Tenancy.Plans;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Tenants;

/// <summary>
/// Creates a tenant at its plan's isolation. The registry row is written first (status
/// Provisioning), which claims the slug: a concurrent create of the same slug fails there with a
/// conflict before touching storage. A failure at any later step removes what was made, storage
/// and row, so nothing is left half-made; a crash is undone at the next start.
/// </summary>
public sealed class TenantProvisioning(
    CatalogDbContext catalog,
    IEnumerable<IIsolationStorage> storages,
    ProvisioningFaults faults,
    AuditLog audit,
    ILogger<TenantProvisioning> logger)
{
    public async Task<ProvisioningResult> CreateAsync(string slug, string name, Plan plan, CancellationToken cancellationToken)
    {
        var storage = StorageFor(plan.Isolation);
        var id = Guid.CreateVersion7();
        var tenant = new Tenant
        {
            Id = id,
            Slug = slug,
            Name = name,
            Plan = plan.Name,
            Isolation = plan.Isolation,
            Placement = await storage.PlaceAsync(id, cancellationToken),
        };

        catalog.Tenants.Add(tenant);
        if (plan.Isolation == IsolationKind.Row)
        {
            // The shared tables already exist: the registry row is the whole tenant, written at once with its audit event.
            faults.At("registry-written");
            tenant.Status = TenantStatus.Active;
            audit.Record("tenant.create", tenant.Id, $"slug={slug} plan={plan.Name} isolation={plan.Isolation}");
        }
        try
        {
            await catalog.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException exception) when (exception.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            catalog.ChangeTracker.Clear();
            return ProvisioningResult.SlugTaken;
        }
        if (plan.Isolation == IsolationKind.Row)
        {
            return ProvisioningResult.Created(tenant, await storage.CreateAsync(tenant, faults, cancellationToken));
        }

        string version;
        try
        {
            faults.At("registry-written");
            version = await storage.CreateAsync(tenant, faults, cancellationToken);
            catalog.StorageTargets.Add(new StorageTarget
            {
                Kind = StorageTargetKinds.For(plan.Isolation),
                Server = tenant.Placement.Server,
                Database = tenant.Placement.Database,
                Schema = tenant.Placement.Schema,
                TenantId = tenant.Id,
                MigrationVersion = version,
            });
            faults.At("storage-created");
            tenant.Status = TenantStatus.Active;
            tenant.UpdatedAt = DateTimeOffset.UtcNow;
            audit.Record("tenant.create", tenant.Id, $"slug={slug} plan={plan.Name} isolation={plan.Isolation}");
            await catalog.SaveChangesAsync(cancellationToken);
        }
        catch (Exception exception)
        {
            logger.LogError(exception, "Provisioning tenant {TenantId} ({Slug}) failed; undoing", tenant.Id, slug);
            try
            {
                await UndoAsync(tenant, storage);
            }
            catch (Exception undoFailure)
            {
                // The row stays in Provisioning; the next start undoes it.
                logger.LogError(undoFailure, "Undoing tenant {TenantId} failed; it will be undone at the next start", tenant.Id);
            }
            throw;
        }

        // No broadcast: no replica can hold an entry for a tenant id that did not exist until now.
        return ProvisioningResult.Created(tenant, version);
    }

    /// <summary>Removes tenants that a crash left in Provisioning, with whatever storage they got.</summary>
    public async Task UndoUnfinishedAsync(CancellationToken cancellationToken)
    {
        var unfinished = await catalog.Tenants.AsNoTracking()
            .Where(tenant => tenant.Status == TenantStatus.Provisioning)
            .ToListAsync(cancellationToken);
        foreach (var tenant in unfinished)
        {
            logger.LogWarning("Undoing tenant {TenantId} ({Slug}), left half-provisioned by an earlier run", tenant.Id, tenant.Slug);
            await UndoAsync(tenant, StorageFor(tenant.Isolation));
        }
    }

    private async Task UndoAsync(Tenant tenant, IIsolationStorage storage)
    {
        // Undo must finish even when the request that failed was cancelled.
        var cancellationToken = CancellationToken.None;
        await storage.RemoveAsync(tenant, cancellationToken);
        catalog.ChangeTracker.Clear();
        await catalog.StorageTargets.Where(target => target.TenantId == tenant.Id).ExecuteDeleteAsync(cancellationToken);
        await catalog.Tenants.Where(t => t.Id == tenant.Id).ExecuteDeleteAsync(cancellationToken);
        catalog.AuditEvents.Add(new AuditEvent { Actor = "system", Action = "tenant.create.undone", TenantId = tenant.Id, Detail = $"slug={tenant.Slug}" });
        await catalog.SaveChangesAsync(cancellationToken);
    }

    private IIsolationStorage StorageFor(IsolationKind isolation) => storages.Single(storage => storage.Kind == isolation);
}

public sealed record ProvisioningResult(Tenant? Tenant, string? MigrationVersion, bool IsSlugTaken)
{
    public static ProvisioningResult SlugTaken { get; } = new(null, null, true);

    public static ProvisioningResult Created(Tenant tenant, string migrationVersion) => new(tenant, migrationVersion, false);
}
