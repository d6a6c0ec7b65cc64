using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using StackExchange.Redis;
using TieredTenancy.Provisioner.Archives;
using TieredTenancy.Provisioner.Broadcast;
using TieredTenancy.Provisioner.Clients;
using TieredTenancy.Provisioner.Faults;
using TieredTenancy.Provisioner.Operations;
using TieredTenancy.Provisioner.Servers;
using TieredTenancy.Provisioner.Storage;
using TieredTenancy.Provisioner.Tenants;
using TieredTenancy.Tenancy.Data;
using TieredTenancy.Tenancy.Registry;
using TieredTenancy.Tenancy.Storage;

namespace TieredTenancy.Provisioner.Offboarding;

/// <summary>What an offboarding was asked to do: by whom, when, and after which grace period.</summary>
public sealed record OffboardingParameters(DateTimeOffset RequestedAt, TimeSpan? GracePeriod);

/// <summary>How far an offboarding got; what its certificate is made of.</summary>
public sealed class OffboardingState
{
    public DateTimeOffset? SuspendedAt { get; set; }

    public int RevokedClients { get; set; }

    public string? ArchivePath { get; set; }

    public string? ArchiveSha256 { get; set; }

    public long ArchiveBytes { get; set; }

    public DateTimeOffset? ExportedAt { get; set; }

    public Dictionary<string, long> Rows { get; set; } = [];

    public DateTimeOffset? DeletedAt { get; set; }
}

/// <summary>
/// Offboards a tenant: suspend (every replica refuses it within a second; its placement refuses any
/// write in PostgreSQL too) and revoke its API clients → export its archive into the archive store →
/// delete its data everywhere (rows in every shared table, its schema and role, its database and
/// login on every dedicated server, its Redis keys) → verify in PostgreSQL and Redis that nothing
/// is left → write the deletion certificate on the tombstone. Every step is idempotent and the state
/// is durable: a Provisioner that dies midway finishes it at restart. It only goes forward.
/// </summary>
public sealed class TenantOffboarding(
    CatalogDbContext catalog,
    IEnumerable<ITierStorage> tiers,
    ClientRegistration clients,
    TenantExport export,
    TenantServers servers,
    TenantTables tables,
    ArchiveStore store,
    RegistryBroadcast broadcast,
    FaultInjection faults,
    IConnectionMultiplexer redis,
    ILogger<TenantOffboarding> logger) : IOperationHandler
{
    private readonly IReadOnlyList<ITierStorage> _tiers = tiers.ToList();

    private static readonly TimeSpan RequestCountsSettle = TimeSpan.FromSeconds(2);

    public Task RunAsync(OperationRun run, CancellationToken cancellationToken) => ContinueAsync(run, cancellationToken);

    // Each step is idempotent and recorded: recovering is carrying on.
    public Task RecoverAsync(OperationRun run, CancellationToken cancellationToken) => ContinueAsync(run, cancellationToken);

    public Task<string?> RefuseResumeAsync(Operation operation, CatalogDbContext catalog, CancellationToken cancellationToken) =>
        Task.FromResult<string?>("An offboarding is carried out to its end by the Provisioner; there is nothing to resume.");

    public Task PrepareResumeAsync(Operation operation, CatalogDbContext catalog, CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task ContinueAsync(OperationRun run, CancellationToken cancellationToken)
    {
        var parameters = run.Parameters<OffboardingParameters>();
        var state = run.State<OffboardingState>();
        var tenant = await catalog.Tenants.AsNoTracking().SingleAsync(t => t.Id == run.TenantId, cancellationToken);

        // Every step that changes anything runs fenced: a superseded attempt (its replica stalled or
        // killed, the operation claimed again) is refused by the catalog before it suspends, deletes or certifies.
        await EnterAsync(run, "suspending", cancellationToken);
        state.RevokedClients += await run.FencedAsync(async (_, token) =>
        {
            await SuspendAsync(tenant, token);
            return await clients.RevokeAllAsync(tenant.Id, token);
        }, cancellationToken);
        state.SuspendedAt ??= DateTimeOffset.UtcNow;
        await run.SaveStateAsync(state, cancellationToken);

        await EnterAsync(run, "exporting", cancellationToken);
        if (state.ArchivePath is null || !File.Exists(state.ArchivePath))
        {
            if (state.DeletedAt is not null)
            {
                throw new InvalidOperationException($"The archive {state.ArchivePath} was removed after the data was deleted; the certificate cannot name it.");
            }
            var path = store.OffboardedPath(tenant.Id, run.Id);
            Tenancy.Archives.TenantArchiveManifest? manifest = null;
            var (sha256, bytes) = await ArchiveStore.WriteAsync(path, async file =>
                manifest = await export.WriteAsync(tenant, file, cancellationToken), cancellationToken);
            (state.ArchivePath, state.ArchiveSha256, state.ArchiveBytes, state.ExportedAt) = (path, sha256, bytes, DateTimeOffset.UtcNow);
            state.Rows = manifest!.Files.ToDictionary(file => file.Table, file => file.Rows);
            await run.SaveStateAsync(state, cancellationToken);
        }

        await EnterAsync(run, "deleting", cancellationToken);
        // The Api replicas add a tenant's request counts to Redis once a second: those of its last requests before the
        // suspension are written within that second, and must be there to be deleted with the rest of its keys.
        var countsSettled = state.SuspendedAt!.Value + RequestCountsSettle - DateTimeOffset.UtcNow;
        if (countsSettled > TimeSpan.Zero)
        {
            await Task.Delay(countsSettled, cancellationToken);
        }
        await run.FencedAsync((_, token) => DeleteEverywhereAsync(tenant, token), cancellationToken);
        state.DeletedAt ??= DateTimeOffset.UtcNow;
        await run.SaveStateAsync(state, cancellationToken);

        await EnterAsync(run, "verifying", cancellationToken);
        var checks = await VerifyAsync(tenant, cancellationToken);
        var left = checks.Where(check => check.Found > 0).ToList();
        if (left.Count > 0)
        {
            // Not done: the runner tries again, and deleting is idempotent.
            throw new InvalidOperationException($"Still there after deleting: {string.Join("; ", left.Select(check => $"{check.What} ({check.Found})"))}.");
        }

        await EnterAsync(run, "certifying", cancellationToken);
        var certificate = new DeletionCertificate(
            tenant.Id, tenant.Slug, tenant.Plan, tenant.Isolation.ToString().ToLowerInvariant(), run.Id, run.Operation.Actor,
            parameters.RequestedAt, state.SuspendedAt!.Value, state.ExportedAt!.Value, state.DeletedAt!.Value, DateTimeOffset.UtcNow,
            state.Rows, state.RevokedClients, checks,
            new CertifiedArchive(store.NameOf(state.ArchivePath!), state.ArchiveSha256!, state.ArchiveBytes, state.ExportedAt.Value + store.Retention),
            "The tenant's placement fence is kept (its id, refused at every epoch; it holds no data), so no request can write for it again.");
        // The tombstone and its audit commit in the fence's own transaction: only the current attempt certifies.
        await run.FencedAsync(async (fenced, token) =>
        {
            var tombstone = await fenced.Catalog.Tenants.SingleAsync(t => t.Id == tenant.Id, token);
            tombstone.Status = TenantStatus.Deleted;
            tombstone.DeletionCertificate = JsonSerializer.Serialize(certificate, OperationRun.Json);
            // The tombstone keeps what must outlive the tenant (its id for the fence, its slug until retention frees it,
            // the certificate), not its name or its login's credentials.
            tombstone.Name = tenant.Slug;
            tombstone.Placement.ProtectedConnectionString = null;
            tombstone.UpdatedAt = DateTimeOffset.UtcNow;
            fenced.Audit.Record("tenant.offboard", tenant.Id,
                $"operation={run.Id} archive={certificate.Archive.Sha256} rows={state.Rows.Values.Sum()} checks={checks.Count}", run.Operation.Actor);
        }, cancellationToken);
        await broadcast.TenantChangedAsync(tenant.Id);
        await run.FinishAsync(OperationStatus.Succeeded, cancellationToken);
        logger.LogInformation("Offboarded tenant {TenantId} ({Slug}): {Rows} rows archived ({Sha256}) and deleted, {Checks} checks found nothing",
            tenant.Id, tenant.Slug, state.Rows.Values.Sum(), state.ArchiveSha256, checks.Count);
    }

    /// <summary>
    /// Not served any more (status offboarding, broadcast), and, in PostgreSQL, no write lands after
    /// this: under the tenant's write lock (in-flight writes finish first) its placement is fenced at
    /// every epoch, so a replica that missed the broadcast is refused too.
    /// </summary>
    private async Task SuspendAsync(Tenant tenant, CancellationToken cancellationToken)
    {
        await catalog.Tenants.Where(t => t.Id == tenant.Id && t.Status != TenantStatus.Deleted)
            .ExecuteUpdateAsync(set => set.SetProperty(t => t.Status, TenantStatus.Offboarding).SetProperty(t => t.UpdatedAt, DateTimeOffset.UtcNow),
                cancellationToken);
        await broadcast.TenantChangedAsync(tenant.Id);
        if (!await PlacementExistsAsync(tenant, cancellationToken))
        {
            return;
        }
        var tier = _tiers.Single(t => t.Kind == tenant.Isolation);
        await using var connection = await tier.ConnectAsync(tenant.Placement, cancellationToken);
        await PlacementFences.FreezeWritesAsync(connection, tenant.Id, TimeSpan.FromSeconds(30), cancellationToken);
        await PlacementFences.RetireAsync(connection, tenant.Id, long.MaxValue, cancellationToken);
        await PlacementFences.ThawWritesAsync(connection, tenant.Id, cancellationToken);
    }

    private async Task<bool> PlacementExistsAsync(Tenant tenant, CancellationToken cancellationToken)
    {
        if (tenant.Isolation != Tenancy.Plans.IsolationKind.Database)
        {
            return true;
        }
        await using var admin = await servers.OpenDedicatedAdminAsync(tenant.Placement.Server, cancellationToken);
        return await Sql.ScalarAsync<int?>(admin, "SELECT 1 FROM pg_database WHERE datname = $1", cancellationToken, tenant.Placement.Database) is not null;
    }

    /// <summary>
    /// Wherever the tenant's data could be, whatever its tier now: its rows in the shared tables, its
    /// schema and role, its database and login on every dedicated server; its storage targets; its
    /// Redis keys; every replica's cached entry.
    /// </summary>
    private async Task DeleteEverywhereAsync(Tenant tenant, CancellationToken cancellationToken)
    {
        foreach (var tier in _tiers)
        {
            foreach (var placement in await PlacementsAsync(tier, tenant, cancellationToken))
            {
                await tier.RemoveAsync(tenant.Id, placement, cancellationToken);
            }
        }
        await catalog.StorageTargets.Where(target => target.TenantId == tenant.Id).ExecuteDeleteAsync(cancellationToken);
        var database = redis.GetDatabase();
        foreach (var server in redis.GetServers())
        {
            await foreach (var key in server.KeysAsync(pattern: TenantKeys(tenant.Id)))
            {
                await database.KeyDeleteAsync(key);
            }
        }
        await broadcast.TenantChangedAsync(tenant.Id);
    }

    /// <summary>Every place the tier could hold the tenant: the one placement it has for it, or one per dedicated server.</summary>
    private async Task<IReadOnlyList<Placement>> PlacementsAsync(ITierStorage tier, Tenant tenant, CancellationToken cancellationToken)
    {
        if (tier.Kind != Tenancy.Plans.IsolationKind.Database)
        {
            return [await tier.PlaceAsync(tenant.Id, null, cancellationToken)];
        }
        var placements = new List<Placement>();
        foreach (var server in servers.DedicatedServers)
        {
            placements.Add(await tier.PlaceAsync(tenant.Id, server, cancellationToken));
        }
        return placements;
    }

    /// <summary>Asks PostgreSQL, Redis and the catalog for anything of the tenant; each check says what was found (0 when absent).</summary>
    private async Task<List<DeletionCheck>> VerifyAsync(Tenant tenant, CancellationToken cancellationToken)
    {
        var checks = new List<DeletionCheck>();
        var sharedWhere = $"{servers.SharedServer}/{servers.SharedDatabase}";
        await using (var shared = await servers.ConnectSharedAsync(cancellationToken))
        {
            foreach (var table in tables.ParentsFirst)
            {
                var rows = await Sql.ScalarAsync<long>(shared, $"SELECT count(*) FROM public.{Sql.Id(table)} WHERE tenant_id = $1", cancellationToken, tenant.Id);
                checks.Add(new DeletionCheck($"rows of the tenant in the shared table {table}", sharedWhere, rows));
            }
            var schema = TenantNames.Schema(tenant.Id);
            checks.Add(new DeletionCheck($"schema {schema}", sharedWhere,
                await Sql.ScalarAsync<long>(shared, "SELECT count(*) FROM pg_namespace WHERE nspname = $1", cancellationToken, schema)));
            checks.Add(new DeletionCheck($"role {schema}", servers.SharedServer,
                await Sql.ScalarAsync<long>(shared, "SELECT count(*) FROM pg_roles WHERE rolname = $1", cancellationToken, schema)));
        }
        var database = TenantNames.Database(tenant.Id);
        foreach (var server in servers.DedicatedServers)
        {
            await using var admin = await servers.OpenDedicatedAdminAsync(server, cancellationToken);
            checks.Add(new DeletionCheck($"database {database}", server,
                await Sql.ScalarAsync<long>(admin, "SELECT count(*) FROM pg_database WHERE datname = $1", cancellationToken, database)));
            checks.Add(new DeletionCheck($"logins {database} and {database}_* (rotated)", server,
                await Sql.ScalarAsync<long>(admin, "SELECT count(*) FROM pg_roles WHERE rolname = $1 OR rolname LIKE $2", cancellationToken,
                    database, TenantNames.DatabaseRolesLike(tenant.Id))));
        }
        long keys = 0;
        foreach (var redisServer in redis.GetServers())
        {
            await foreach (var _ in redisServer.KeysAsync(pattern: TenantKeys(tenant.Id)))
            {
                keys++;
            }
        }
        checks.Add(new DeletionCheck($"Redis keys {TenantKeys(tenant.Id)}", "cache", keys));
        checks.Add(new DeletionCheck("storage targets of the tenant", "catalog",
            await catalog.StorageTargets.LongCountAsync(target => target.TenantId == tenant.Id, cancellationToken)));
        checks.Add(new DeletionCheck("API clients of the tenant", "catalog",
            await catalog.ApiClients.LongCountAsync(client => client.TenantId == tenant.Id, cancellationToken)));
        return checks;
    }

    // Tenant-scoped keys t:{id}:… (the Api's request counts and token buckets among them), and any prefixed ones that end in them.
    private static string TenantKeys(Guid tenantId) => $"*t:{tenantId}:*";

    private async Task EnterAsync(OperationRun run, string phase, CancellationToken cancellationToken)
    {
        await run.EnterPhaseAsync(phase, cancellationToken);
        await faults.PauseAtAsync(phase, cancellationToken);
    }
}
