using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using TieredTenancy.Provisioner.Operations;
using TieredTenancy.Provisioner.Plans;
using TieredTenancy.Provisioner.Provisioning;
using TieredTenancy.Provisioner.Storage;
using TieredTenancy.Tenancy.Archives;
using TieredTenancy.Tenancy.Data;
using TieredTenancy.Tenancy.Registry;
using TieredTenancy.Tenancy.Storage;

namespace TieredTenancy.Provisioner.Archives;

/// <summary>What an import was asked to do: make this tenant from the archive kept at <paramref name="ArchivePath"/>.</summary>
public sealed record ImportParameters(Guid TenantId, string Slug, string Name, string Plan, string ArchivePath, Guid SourceTenantId);

/// <summary>The figures an import shows.</summary>
public sealed class ImportState
{
    public ImportReport Report { get; set; } = new();
}

public sealed class ImportReport
{
    public Guid? SourceTenantId { get; set; }

    public string? SourceStorageVersion { get; set; }

    public Dictionary<string, long> Rows { get; set; } = [];
}

/// <summary>
/// Makes a new tenant from a checked archive: provisions it at its plan's isolation (not yet served),
/// loads every file (each table's rows staged, then inserted with the new tenant's id, in one
/// transaction), checks the row counts against the manifest, and only then serves it. A failure,
/// or a Provisioner that stops, undoes the tenant; the archive stays for a resume.
/// </summary>
public sealed class TenantImport(
    TenantProvisioning provisioning,
    TenantArchiveCheck archiveCheck,
    PlanCatalog plans,
    IEnumerable<ITierStorage> tiers,
    TenantTables tables,
    IOptions<OperationOptions> operations,
    ILogger<TenantImport> logger) : IOperationHandler
{
    public async Task RunAsync(OperationRun run, CancellationToken cancellationToken)
    {
        var parameters = run.Parameters<ImportParameters>();
        try
        {
            await ImportAsync(run, parameters, cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationLeaseLostException && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(exception, "Import {OperationId} failed in phase {Phase}; undoing the tenant", run.Id, run.Operation.Phase);
            await run.RecordErrorAsync($"Failed in phase '{run.Operation.Phase}': {exception.Message}", CancellationToken.None);
            await UndoAsync(run, CancellationToken.None);
        }
    }

    public async Task RecoverAsync(OperationRun run, CancellationToken cancellationToken)
    {
        await run.RecordErrorAsync($"The Provisioner stopped during phase '{run.Operation.Phase}'; the import was undone. Resume it to run it again.",
            cancellationToken);
        await UndoAsync(run, cancellationToken);
    }

    public async Task<string?> RefuseResumeAsync(Operation operation, CatalogDbContext catalog, CancellationToken cancellationToken)
    {
        var parameters = JsonSerializer.Deserialize<ImportParameters>(operation.Parameters, OperationRun.Json)!;
        if (!File.Exists(parameters.ArchivePath))
        {
            return "The import's archive is no longer kept; import it again.";
        }
        return await catalog.Tenants.AnyAsync(t => t.Slug == parameters.Slug, cancellationToken)
            ? $"The slug '{parameters.Slug}' is taken now; import it again under another slug."
            : null;
    }

    public Task PrepareResumeAsync(Operation operation, CatalogDbContext catalog, CancellationToken cancellationToken)
    {
        operation.State = "{}";
        operation.Phase = "pending";
        operation.Done = 0;
        operation.Error = null;
        return Task.CompletedTask;
    }

    private async Task ImportAsync(OperationRun run, ImportParameters parameters, CancellationToken cancellationToken)
    {
        var state = run.State<ImportState>();
        await run.EnterPhaseAsync("checking", cancellationToken);
        var (manifest, problems) = await archiveCheck.CheckAsync(parameters.ArchivePath, cancellationToken);
        if (manifest is null)
        {
            throw new InvalidDataException($"The archive no longer checks out: {string.Join(" ", problems)}");
        }
        state.Report.SourceTenantId = manifest.Tenant.Id;
        state.Report.SourceStorageVersion = manifest.StorageVersion;

        await run.EnterPhaseAsync("provisioning", cancellationToken, total: manifest.Files.Sum(file => file.Rows), done: 0);
        var plan = await plans.FindAsync(parameters.Plan, cancellationToken)
            ?? throw new InvalidOperationException($"The plan '{parameters.Plan}' is gone.");
        // Every step that changes anything runs fenced: a superseded attempt is refused by the catalog first.
        var created = await run.FencedAsync(async (_, token) =>
        {
            // An earlier attempt may have left the tenant half-made.
            await provisioning.UndoAsync(parameters.TenantId, token);
            return await provisioning.CreateAsync(parameters.Slug, parameters.Name, plan, token, parameters.TenantId, activate: false);
        }, cancellationToken);
        if (created.IsSlugTaken)
        {
            throw new InvalidOperationException($"The slug '{parameters.Slug}' was taken meanwhile.");
        }
        var tenant = created.Tenant!;

        await run.EnterPhaseAsync("loading", cancellationToken);
        var tier = tiers.Single(t => t.Kind == tenant.Isolation);
        await using (var connection = await tier.ConnectAsync(tenant.Placement, cancellationToken))
        {
            // The load's own transaction commits while the fence is held: a superseded attempt's rows never land.
            await run.FencedAsync((_, token) => LoadAsync(run, manifest, parameters.ArchivePath, new TenantData(connection, tenant.Placement.Schema, tenant.Id),
                tier.HasOwnTarget, token), cancellationToken);

            await run.EnterPhaseAsync("verifying", cancellationToken);
            var data = new TenantData(connection, tenant.Placement.Schema, tenant.Id);
            foreach (var file in manifest.Files)
            {
                var rows = await data.CountAsync(file.Table, cancellationToken);
                state.Report.Rows[file.Table] = rows;
                if (rows != file.Rows)
                {
                    throw new InvalidDataException($"'{file.Table}' holds {rows} rows after loading; the archive has {file.Rows}.");
                }
            }
        }
        await run.SaveStateAsync(state, cancellationToken);

        await run.EnterPhaseAsync("activating", cancellationToken);
        await run.FencedAsync((_, token) => provisioning.ActivateAsync(tenant.Id, "tenant.import",
            $"operation={run.Id} slug={tenant.Slug} plan={tenant.Plan} from={manifest.Tenant.Id} ({manifest.Tenant.Slug}) version={manifest.StorageVersion} " +
            $"rows={manifest.Files.Sum(file => file.Rows)}", run.Operation.Actor, token), cancellationToken);
        File.Delete(parameters.ArchivePath);
        await run.FinishAsync(OperationStatus.Succeeded, cancellationToken);
    }

    /// <summary>
    /// Every file, parents first, in one transaction, straight into the tenant's table by COPY, each
    /// row carrying the new tenant's id (row ids stay as archived). Storage of the tenant's own loads
    /// without foreign keys and secondary indexes, built once after.
    /// </summary>
    private async Task LoadAsync(OperationRun run, TenantArchiveManifest manifest, string archivePath, TenantData target, bool ownStorage,
        CancellationToken cancellationToken)
    {
        var order = tables.ParentsFirst.Select((table, index) => (table, index)).ToDictionary(pair => pair.table, pair => pair.index);
        await using var file = new FileStream(archivePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        await using var archive = await ZipArchive.CreateAsync(file, ZipArchiveMode.Read, leaveOpen: false, entryNameEncoding: null, cancellationToken);
        await using var transaction = await target.Connection.BeginTransactionAsync(cancellationToken);
        await Sql.ExecuteAsync(target.Connection, "SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'", cancellationToken, transaction);
        var structure = ownStorage ? await LoadStructure.DropAsync(target.Connection, target.Schema, tables.ParentsFirst, cancellationToken) : null;
        long done = 0;
        foreach (var archived in manifest.Files.OrderBy(archived => order[archived.Table]))
        {
            var copy = $"COPY {target.Table(archived.Table)} ({string.Join(", ", archived.Columns.Select(Sql.Id))}) FROM STDIN (FORMAT csv";
            await using var entry = await archive.GetEntry(archived.Name)!.OpenAsync(cancellationToken);
            using var reader = new StreamReader(entry, Encoding.UTF8);
            // A COPY per RowsPerStatement records, each within the attempt's statement timeout; disposing one completes it.
            var writer = await target.Connection.BeginTextImportAsync(copy + ", HEADER)", cancellationToken);
            try
            {
                await ArchivedRows.CopyAsNewTenantAsync(reader, writer, archived.Columns.ToList().IndexOf("tenant_id"), target.TenantId, cancellationToken,
                    async token =>
                    {
                        await writer.DisposeAsync();
                        return writer = await target.Connection.BeginTextImportAsync(copy + ")", token);
                    }, operations.Value.RowsPerStatement);
            }
            catch
            {
                // Disposing an import completes it; one cut short is cancelled (the load's transaction rolls back anyway).
                await ((NpgsqlCopyTextWriter)writer).CancelAsync();
                throw;
            }
            finally
            {
                await writer.DisposeAsync();
            }
            done += archived.Rows;
            await run.ProgressAsync(done, cancellationToken);
        }
        if (structure is not null)
        {
            await structure.RestoreAsync(target.Connection, cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    private async Task UndoAsync(OperationRun run, CancellationToken cancellationToken)
    {
        await run.EnterPhaseAsync("undoing", cancellationToken);
        await run.FencedAsync((_, token) => provisioning.UndoAsync(run.TenantId, token), cancellationToken);
        await run.FinishAsync(OperationStatus.RolledBack, cancellationToken);
    }
}
