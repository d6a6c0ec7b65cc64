using Microsoft.EntityFrameworkCore;
using Npgsql;
using TieredTenancy.Provisioner.Audit;
using TieredTenancy.Provisioner.Faults;
using TieredTenancy.Provisioner.Storage;
using TieredTenancy.Tenancy.Plans;
using TieredTenancy.Tenancy.Registry;
using TieredTenancy.Tenancy.Storage;

namespace TieredTenancy.Provisioner.Provisioning;

/// <summary>
/// Creates a tenant at its plan's isolation. The registry row claims the slug: a concurrent create
/// of the same slug fails there with a conflict before touching storage. Where the tier gives the
/// tenant storage of its own, the row is written as Provisioning first, then the storage is made
/// and the tenant activated; a failure at any step removes what was made, storage and row, so
/// nothing is left half-made, and a crash is undone at the next start.
/// </summary>
public sealed class TenantProvisioning(
    CatalogDbContext catalog,
    IEnumerable<ITierStorage> tiers,
    FaultInjection faults,
    ControlPlaneAudit audit,
    ILogger<TenantProvisioning> logger)
{
    /// <param name="id">The new tenant's id, when the caller chose it (an import names its tenant before making it).</param>
    /// <param name="activate">
    /// False leaves the tenant in Provisioning, not served, with its storage made: an import loads
    /// its data first and then calls <see cref="ActivateAsync"/> (or <see cref="UndoAsync"/>).
    /// </param>
    public async Task<ProvisioningResult> CreateAsync(string slug, string name, Plan plan, CancellationToken cancellationToken,
        Guid? id = null, bool activate = true)
    {
        var storage = TierOf(plan.Isolation);
        id ??= Guid.CreateVersion7();
        var tenant = new Tenant
        {
            Slug = slug,
            Name = name,
            Plan = plan.Name,
            Isolation = plan.Isolation,
            Id = id.Value,
            Placement = await storage.PlaceAsync(id.Value, server: null, cancellationToken),
        };
        // Held from before the row exists until the tenant is made or undone; it ends with this process's session.
        await catalog.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await catalog.Database.ExecuteSqlAsync($"SELECT pg_advisory_lock({AdvisoryLocks.TenantCreation}, hashtext({tenant.Id}::text))", cancellationToken);
            return storage.HasOwnTarget
                ? await CreateWithStorageAsync(tenant, storage, activate, cancellationToken)
                : await CreateInSharedStorageAsync(tenant, storage, activate, cancellationToken);
        }
        finally
        {
            await catalog.Database.ExecuteSqlAsync($"SELECT pg_advisory_unlock({AdvisoryLocks.TenantCreation}, hashtext({tenant.Id}::text))", CancellationToken.None);
            await catalog.Database.CloseConnectionAsync();
        }
    }

    /// <summary>Serves a tenant made with <c>activate: false</c>, with its audit event.</summary>
    public async Task ActivateAsync(Guid tenantId, string action, string detail, string actor, CancellationToken cancellationToken)
    {
        catalog.ChangeTracker.Clear();
        var tenant = await catalog.Tenants.SingleAsync(t => t.Id == tenantId, cancellationToken);
        if (tenant.Status == TenantStatus.Provisioning)
        {
            tenant.Status = TenantStatus.Active;
            tenant.UpdatedAt = DateTimeOffset.UtcNow;
            audit.Record(action, tenant.Id, detail, actor);
            await catalog.SaveChangesAsync(cancellationToken);
        }
    }

    /// <summary>Removes a tenant still in Provisioning, with whatever storage it got (nothing when there is no such tenant).</summary>
    public async Task UndoAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        var tenant = await catalog.Tenants.AsNoTracking().SingleOrDefaultAsync(t => t.Id == tenantId && t.Status == TenantStatus.Provisioning, cancellationToken);
        if (tenant is not null)
        {
            await UndoAsync(tenant, TierOf(tenant.Isolation));
        }
    }

    /// <summary>Shared storage already exists: the registry row is the whole tenant, written at once with its audit event.</summary>
    private async Task<ProvisioningResult> CreateInSharedStorageAsync(Tenant tenant, ITierStorage storage, bool activate, CancellationToken cancellationToken)
    {
        var version = await storage.CreateAsync(tenant.Id, tenant.Placement, version: null, cancellationToken);
        faults.At("registry-written");
        if (activate)
        {
            Activate(tenant);
        }
        return await ClaimSlugAsync(tenant, cancellationToken) ? ProvisioningResult.Created(tenant, version) : ProvisioningResult.SlugTaken;
    }

    private async Task<ProvisioningResult> CreateWithStorageAsync(Tenant tenant, ITierStorage storage, bool activate, CancellationToken cancellationToken)
    {
        if (!await ClaimSlugAsync(tenant, cancellationToken))
        {
            return ProvisioningResult.SlugTaken;
        }
        string version;
        try
        {
            faults.At("registry-written");
            version = await storage.CreateAsync(tenant.Id, tenant.Placement, version: null, cancellationToken);
            catalog.StorageTargets.Add(new StorageTarget
            {
                Kind = StorageTargetKinds.For(tenant.Isolation),
                Server = tenant.Placement.Server,
                Database = tenant.Placement.Database,
                Schema = tenant.Placement.Schema,
                TenantId = tenant.Id,
                MigrationVersion = version,
            });
            faults.At("storage-created");
            if (activate)
            {
                Activate(tenant);
            }
            await catalog.SaveChangesAsync(cancellationToken);
        }
        catch (Exception exception)
        {
            logger.LogError(exception, "Provisioning tenant {TenantId} ({Slug}) failed; undoing", tenant.Id, tenant.Slug);
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

    /// <summary>Writes the registry row, which claims the slug; false when another tenant has it.</summary>
    private async Task<bool> ClaimSlugAsync(Tenant tenant, CancellationToken cancellationToken)
    {
        catalog.Tenants.Add(tenant);
        try
        {
            await catalog.SaveChangesAsync(cancellationToken);
            return true;
        }
        catch (DbUpdateException exception) when (exception.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            catalog.ChangeTracker.Clear();
            return false;
        }
    }

    /// <summary>
    /// Removes tenants that a crash left in Provisioning, with whatever storage they got; not those an
    /// operation (an import) holds, which its own recovery undoes, nor those another live instance is
    /// still making (it holds their creation lock).
    /// </summary>
    public async Task UndoUnfinishedAsync(CancellationToken cancellationToken)
    {
        var unfinished = await catalog.Tenants.AsNoTracking()
            .Where(tenant => tenant.Status == TenantStatus.Provisioning)
            .Where(tenant => !catalog.Operations.Any(o => o.TenantId == tenant.Id && (o.Status == OperationStatus.Pending || o.Status == OperationStatus.Running)))
            .ToListAsync(cancellationToken);
        await catalog.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            foreach (var tenant in unfinished)
            {
                if (!await Sql.ScalarAsync<bool>((NpgsqlConnection)catalog.Database.GetDbConnection(),
                        $"SELECT pg_try_advisory_lock({AdvisoryLocks.TenantCreation}, hashtext($1::text))", cancellationToken, tenant.Id))
                {
                    logger.LogInformation("Tenant {TenantId} ({Slug}) is being created by another instance; left to it", tenant.Id, tenant.Slug);
                    continue;
                }
                try
                {
                    logger.LogWarning("Undoing tenant {TenantId} ({Slug}), left half-provisioned by an earlier run", tenant.Id, tenant.Slug);
                    await UndoAsync(tenant, TierOf(tenant.Isolation));
                }
                finally
                {
                    await catalog.Database.ExecuteSqlAsync($"SELECT pg_advisory_unlock({AdvisoryLocks.TenantCreation}, hashtext({tenant.Id}::text))", CancellationToken.None);
                }
            }
        }
        finally
        {
            await catalog.Database.CloseConnectionAsync();
        }
    }

    private void Activate(Tenant tenant)
    {
        tenant.Status = TenantStatus.Active;
        tenant.UpdatedAt = DateTimeOffset.UtcNow;
        audit.Record("tenant.create", tenant.Id, $"slug={tenant.Slug} plan={tenant.Plan} isolation={tenant.Isolation}");
    }

    private async Task UndoAsync(Tenant tenant, ITierStorage storage)
    {
        // Undo must finish even when the request that failed was cancelled.
        var cancellationToken = CancellationToken.None;
        await storage.RemoveAsync(tenant.Id, tenant.Placement, cancellationToken);
        catalog.ChangeTracker.Clear();
        await catalog.StorageTargets.Where(target => target.TenantId == tenant.Id).ExecuteDeleteAsync(cancellationToken);
        await catalog.Tenants.Where(t => t.Id == tenant.Id).ExecuteDeleteAsync(cancellationToken);
        audit.Record("tenant.create.undone", tenant.Id, $"slug={tenant.Slug}", actor: ControlPlaneAudit.SystemActor);
        await catalog.SaveChangesAsync(cancellationToken);
    }

    private ITierStorage TierOf(IsolationKind isolation) => tiers.Single(tier => tier.Kind == isolation);
}

public sealed record ProvisioningResult(Tenant? Tenant, string? MigrationVersion, bool IsSlugTaken)
{
    public static ProvisioningResult SlugTaken { get; } = new(null, null, true);

    public static ProvisioningResult Created(Tenant tenant, string migrationVersion) => new(tenant, migrationVersion, false);
}
