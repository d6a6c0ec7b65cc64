using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TieredTenancy.Provisioner.Broadcast;
using TieredTenancy.Provisioner.Faults;
using TieredTenancy.Provisioner.Operations;
using TieredTenancy.Provisioner.Servers;
using TieredTenancy.Provisioner.Storage;
using TieredTenancy.Provisioner.Tenants;
using TieredTenancy.Tenancy.Data;
using TieredTenancy.Tenancy.Registry;
using TieredTenancy.Tenancy.Storage;

namespace TieredTenancy.Provisioner.Moves;

/// <summary>
/// Moves a tenant's data to another placement while it keeps working: prepare the target at the
/// source's version → capture changes on the source → bulk copy at one snapshot → verify the bulk
/// → catch up → freeze the tenant's writes (they wait) → final delta → verify what changed →
/// fence the source → flip the registry (epoch + 1) → broadcast → release → clean the source up.
/// Before the flip, any failure or crash rolls back (the source stays the placement, the target is
/// removed); from the flip on, the move only goes forward and cleanup is retried until done.
/// One instance serves one attempt (a scoped service): the phases live in TierMove.*.cs.
/// </summary>
public sealed partial class TierMove(
    CatalogDbContext catalog,
    IEnumerable<ITierStorage> tiers,
    StorageVersions versions,
    TenantServers servers,
    TenantTables tables,
    FaultInjection faults,
    RegistryBroadcast broadcast,
    IOptions<TenantStorageOptions> storageOptions,
    IOptions<MoveOptions> options,
    IOptions<OperationOptions> operations,
    ILogger<TierMove> logger) : IOperationHandler
{
    private readonly MoveOptions _options = options.Value;
    private readonly int _rowsPerStatement = operations.Value.RowsPerStatement;
    private readonly string _ownerRole = storageOptions.Value.OwnerRole;
    private readonly IReadOnlyList<ITierStorage> _tiers = tiers.ToList();

    // The attempt's move, set by Begin before any phase runs.
    private OperationRun _run = null!;
    private MoveParameters _parameters = null!;
    private MoveState _state = null!;
    private ITierStorage _source = null!;
    private ITierStorage _target = null!;
    private Placement _from = null!;

    private Guid TenantId => _run.TenantId;

    private IReadOnlyList<string> Tables => tables.ParentsFirst;

    public async Task RunAsync(OperationRun run, CancellationToken cancellationToken)
    {
        Begin(run);
        try
        {
            await ForwardAsync(cancellationToken);
        }
        catch (Exception exception) when (!_state.Flipping && exception is not OperationLeaseLostException && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(exception, "Move {OperationId} of tenant {TenantId} failed in phase {Phase}; rolling back", run.Id, run.TenantId, run.Operation.Phase);
            await run.RecordErrorAsync($"Failed in phase '{run.Operation.Phase}': {exception.Message}", CancellationToken.None);
            await RollBackAsync(CancellationToken.None);
        }
    }

    public async Task RecoverAsync(OperationRun run, CancellationToken cancellationToken)
    {
        Begin(run);
        if (_state.Flipping)
        {
            // The source may already be fenced: the only safe way is forward.
            await FinishFlipAsync(cancellationToken);
            await CleanUpAsync(cancellationToken);
            return;
        }
        run.Operation.Error ??= $"The Provisioner stopped during phase '{run.Operation.Phase}'; the move was rolled back and the tenant stays where it was.";
        await run.RecordErrorAsync(run.Operation.Error, cancellationToken);
        await RollBackAsync(cancellationToken);
    }

    public async Task<string?> RefuseResumeAsync(Operation operation, CatalogDbContext catalog, CancellationToken cancellationToken)
    {
        var parameters = JsonSerializer.Deserialize<MoveParameters>(operation.Parameters, OperationRun.Json)!;
        var tenant = await catalog.Tenants.AsNoTracking().SingleOrDefaultAsync(t => t.Id == operation.TenantId, cancellationToken);
        if (tenant is null || tenant.Status != TenantStatus.Active)
        {
            return $"Only an active tenant can be moved; the tenant is {tenant?.Status.ToString().ToLowerInvariant() ?? "gone"}.";
        }
        return tenant.Placement.Epoch != parameters.From.Epoch || tenant.Isolation != parameters.FromIsolation
            ? "The tenant's placement changed since this move was asked for; ask for a new one."
            : null;
    }

    public async Task PrepareResumeAsync(Operation operation, CatalogDbContext catalog, CancellationToken cancellationToken)
    {
        var tenant = await catalog.Tenants.SingleAsync(t => t.Id == operation.TenantId, cancellationToken);
        tenant.Status = TenantStatus.Moving;
        tenant.UpdatedAt = DateTimeOffset.UtcNow;
        operation.State = "{}";
        operation.Phase = "pending";
        operation.Done = 0;
        operation.Error = null;
    }

    private void Begin(OperationRun run)
    {
        _run = run;
        _parameters = run.Parameters<MoveParameters>();
        _state = run.State<MoveState>();
        _source = _tiers.Single(tier => tier.Kind == _parameters.FromIsolation);
        _target = _tiers.Single(tier => tier.Kind == _parameters.ToIsolation);
        _from = _parameters.From.ToPlacement();
    }

    /// <summary>The move from its start, phase after phase.</summary>
    private async Task ForwardAsync(CancellationToken cancellationToken)
    {
        await EnsureTenantIsAtSourceAsync(cancellationToken);
        var target = await PrepareTargetAsync(cancellationToken);

        await using var sourceConnection = await _source.ConnectAsync(_from, cancellationToken);
        await using var targetConnection = await _target.ConnectAsync(target, cancellationToken);
        var source = new TenantData(sourceConnection, _from.Schema, TenantId);
        var destination = new TenantData(targetConnection, target.Schema, TenantId);
        await source.NormalizeSessionAsync(cancellationToken);
        await destination.NormalizeSessionAsync(cancellationToken);
        var capture = Capture(source);

        await _run.EnterPhaseAsync("capturing", cancellationToken);
        await _run.FencedAsync((_, token) => capture.InstallAsync(token), cancellationToken);
        await PauseAsync("captured", cancellationToken);

        var bulk = await _run.FencedAsync((_, token) => CopyBulkAsync(source, destination, token), cancellationToken);
        await PauseAsync("copied", cancellationToken);
        await VerifyCopyAsync(destination, bulk, cancellationToken);
        await CatchUpAsync(destination, capture, cancellationToken);

        await FreezeVerifyAndFlipAsync(source, destination, capture, bulk, cancellationToken);
        await CleanUpAsync(cancellationToken);
    }

    /// <summary>The target placed and made at the source's version, recorded before anything is made so a rollback knows what to remove.</summary>
    private async Task<Placement> PrepareTargetAsync(CancellationToken cancellationToken)
    {
        await _run.EnterPhaseAsync("preparing", cancellationToken);
        var target = await _target.PlaceAsync(TenantId, _parameters.ToServer, cancellationToken);
        target.Epoch = _from.Epoch + 1;
        _state.Version = await versions.OfPlacementAsync(_from, cancellationToken);
        _state.Target = PlacementSnapshot.Of(target);
        _state.Report.From = $"{_parameters.FromIsolation.ToString().ToLowerInvariant()} {_parameters.From}";
        _state.Report.To = $"{_parameters.ToIsolation.ToString().ToLowerInvariant()} {_state.Target}";
        _state.Report.Version = _state.Version;
        await _run.SaveStateAsync(_state, cancellationToken);
        // Whatever an earlier attempt left there goes first (the tenant is not served from the target).
        await _run.FencedAsync(async (_, token) =>
        {
            await _target.RemoveAsync(TenantId, target, token);
            await _target.CreateAsync(TenantId, target, _state.Version, token);
        }, cancellationToken);
        _state.TargetProtectedConnectionString = target.ProtectedConnectionString;
        await _run.SaveStateAsync(_state, cancellationToken);
        await PauseAsync("prepared", cancellationToken);
        return target;
    }

    private async Task EnsureTenantIsAtSourceAsync(CancellationToken cancellationToken)
    {
        var tenant = await catalog.Tenants.AsNoTracking().SingleAsync(t => t.Id == TenantId, cancellationToken);
        if (tenant.Placement.Epoch != _from.Epoch || tenant.Status != TenantStatus.Moving)
        {
            throw new InvalidOperationException(
                $"The tenant is {tenant.Status.ToString().ToLowerInvariant()} at epoch {tenant.Placement.Epoch}; the move expected it moving at epoch {_from.Epoch}.");
        }
    }

    private async Task SetStatusAsync(CatalogDbContext fencedCatalog, TenantStatus status, CancellationToken cancellationToken)
    {
        await fencedCatalog.Tenants.Where(t => t.Id == TenantId && t.Status == TenantStatus.Moving)
            .ExecuteUpdateAsync(set => set.SetProperty(t => t.Status, status).SetProperty(t => t.UpdatedAt, DateTimeOffset.UtcNow), cancellationToken);
        // Audit events recorded beside the status change commit with it.
        await fencedCatalog.SaveChangesAsync(cancellationToken);
    }

    private async Task<bool> SourceDatabaseExistsAsync(CancellationToken cancellationToken)
    {
        await using var admin = await servers.OpenDedicatedAdminAsync(_from.Server, cancellationToken);
        return await Sql.ScalarAsync<int?>(admin, "SELECT 1 FROM pg_database WHERE datname = $1", cancellationToken, _from.Database) is not null;
    }

    private async Task BroadcastAsync()
    {
        if (!faults.Skips("broadcast"))
        {
            await broadcast.TenantChangedAsync(TenantId);
        }
    }

    private ChangeCapture Capture(TenantData source) => new(source, _run.Id, Tables, _ownerRole);

    private async Task PauseAsync(string step, CancellationToken cancellationToken)
    {
        faults.At(step);
        await faults.PauseAtAsync(step, cancellationToken);
    }
}
