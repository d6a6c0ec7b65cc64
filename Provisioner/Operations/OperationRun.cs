using TieredTenancy.Provisioner.Servers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using TieredTenancy.Provisioner.Audit;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Operations;

/// <summary>
/// One run of an operation: one attempt, by the Provisioner replica that claimed it. Every change of
/// phase, progress or state is written to the catalog at once, and only while this attempt is the
/// operation's newest (the same statement checks it); every step that changes anything else runs
/// fenced (<see cref="FencedAsync{T}"/>). A superseded attempt is refused at its next write.
/// </summary>
public sealed class OperationRun(Operation operation, OperationAttempt attempt, IServiceScopeFactory scopes)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly List<PhaseTiming> _phases = ReadPhases(operation.State);

    public Operation Operation => operation;

    public Guid Id => operation.Id;

    public OperationAttempt Attempt => attempt;

    public Guid TenantId => operation.TenantId ?? throw new InvalidOperationException($"Operation {operation.Id} has no tenant.");

    public T Parameters<T>() => JsonSerializer.Deserialize<T>(operation.Parameters, Json)!;

    /// <summary>The state recorded by the last save, or a new one.</summary>
    public T State<T>() where T : new() =>
        JsonNode.Parse(operation.State) is JsonObject state && state["data"] is { } data ? data.Deserialize<T>(Json)! : new T();

    public async Task SaveStateAsync<T>(T state, CancellationToken cancellationToken)
    {
        operation.State = Serialize(state);
        await WriteAsync(o => o.SetProperty(x => x.State, operation.State), cancellationToken);
    }

    /// <summary>Enters a phase: recorded with its start time (the operation's report lists every phase's times).</summary>
    public async Task EnterPhaseAsync(string phase, CancellationToken cancellationToken, long? total = null, long? done = null)
    {
        var now = DateTimeOffset.UtcNow;
        if (_phases.Count > 0 && _phases[^1].FinishedAt is null)
        {
            _phases[^1] = _phases[^1] with { FinishedAt = now };
        }
        _phases.Add(new PhaseTiming(phase, now, null));
        operation.Phase = phase;
        operation.Total = total ?? operation.Total;
        operation.Done = done ?? operation.Done;
        operation.State = WithPhases(operation.State);
        await WriteAsync(o => o
            .SetProperty(x => x.Phase, operation.Phase)
            .SetProperty(x => x.Total, operation.Total)
            .SetProperty(x => x.Done, operation.Done)
            .SetProperty(x => x.State, operation.State), cancellationToken);
    }

    public async Task ProgressAsync(long done, CancellationToken cancellationToken, long? total = null)
    {
        operation.Done = done;
        operation.Total = total ?? operation.Total;
        await WriteAsync(o => o.SetProperty(x => x.Done, operation.Done).SetProperty(x => x.Total, operation.Total), cancellationToken);
    }

    /// <summary>Records why the run is failing, before it rolls back, so a crash during the rollback still knows.</summary>
    public async Task RecordErrorAsync(string error, CancellationToken cancellationToken)
    {
        operation.Error = error;
        await WriteAsync(o => o.SetProperty(x => x.Error, error), cancellationToken);
    }

    /// <summary>Ends the operation; the lease is given up and the tenant is free for the next one.</summary>
    public async Task FinishAsync(OperationStatus status, CancellationToken cancellationToken, string? error = null)
    {
        var now = DateTimeOffset.UtcNow;
        if (_phases.Count > 0 && _phases[^1].FinishedAt is null)
        {
            _phases[^1] = _phases[^1] with { FinishedAt = now };
        }
        operation.Status = status;
        operation.Error = error ?? (status == OperationStatus.Succeeded ? null : operation.Error);
        operation.FinishedAt = now;
        operation.State = WithPhases(operation.State);
        await WriteAsync(o => o
            .SetProperty(x => x.Status, operation.Status)
            .SetProperty(x => x.Error, operation.Error)
            .SetProperty(x => x.FinishedAt, operation.FinishedAt)
            .SetProperty(x => x.State, operation.State)
            .SetProperty(x => x.LeaseOwner, (string?)null)
            .SetProperty(x => x.LeaseExpiresAt, (DateTimeOffset?)null), cancellationToken);
    }

    /// <summary>
    /// Runs a step that changes state outside the operation's own row (tenant storage, the registry)
    /// while this attempt holds the fence: the catalog's <c>tt_operation_fence</c> refuses a
    /// superseded attempt before the step starts, and the fence row stays held until the step's
    /// catalog changes commit, so a newer attempt's claim waits for the step or ends it. The step
    /// gets a catalog context in that transaction; what it saves or audits there commits with it.
    /// </summary>
    public async Task<T> FencedAsync<T>(Func<FencedStep, CancellationToken, Task<T>> step, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var catalog = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
        var started = false;
        // The catalog's retrying strategy runs the transaction; a transient failure before the step began is retried,
        // one after it is not (the step may have changed tenant storage): the attempt fails, and is retried from its phase.
        return await catalog.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            if (started)
            {
                throw new InvalidOperationException($"A fenced step of operation {operation.Id} lost its catalog transaction after it began; it is not run twice.");
            }
            catalog.ChangeTracker.Clear();
            await using var transaction = await catalog.Database.BeginTransactionAsync(cancellationToken);
            var connection = (Npgsql.NpgsqlConnection)catalog.Database.GetDbConnection();
            await SessionLabel.ApplyAsync(connection, cancellationToken);
            await attempt.HoldFenceAsync(connection, (Npgsql.NpgsqlTransaction)transaction.GetDbTransaction(), cancellationToken);
            started = true;
            var result = await step(new FencedStep(catalog, scope.ServiceProvider.GetRequiredService<ControlPlaneAudit>()), cancellationToken);
            await catalog.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return result;
        });
    }

    public Task FencedAsync(Func<FencedStep, CancellationToken, Task> step, CancellationToken cancellationToken) =>
        FencedAsync<bool>(async (fenced, token) =>
        {
            await step(fenced, token);
            return true;
        }, cancellationToken);

    /// <summary>The SQLSTATE of <c>tt_operation_fence</c> refusing a superseded attempt.</summary>
    public const string SupersededSqlState = "TT002";

    private async Task WriteAsync(Action<Microsoft.EntityFrameworkCore.Query.UpdateSettersBuilder<Operation>> set, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var catalog = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
        var now = DateTimeOffset.UtcNow;
        var written = await catalog.Operations
            .Where(o => o.Id == operation.Id && o.Attempts == attempt.Attempt)
            .ExecuteUpdateAsync(setters =>
            {
                set(setters);
                setters.SetProperty(o => o.UpdatedAt, now);
            }, cancellationToken);
        if (written == 0)
        {
            throw new OperationLeaseLostException(operation.Id);
        }
        operation.UpdatedAt = now;
    }

    private string Serialize<T>(T data)
    {
        var state = JsonNode.Parse(operation.State) as JsonObject ?? [];
        state["data"] = JsonSerializer.SerializeToNode(data, Json);
        return WithPhases(state.ToJsonString());
    }

    private string WithPhases(string stateJson)
    {
        var state = JsonNode.Parse(stateJson) as JsonObject ?? [];
        state["phases"] = JsonSerializer.SerializeToNode(_phases, Json);
        return state.ToJsonString();
    }

    private static List<PhaseTiming> ReadPhases(string stateJson) =>
        JsonNode.Parse(stateJson) is JsonObject state && state["phases"] is { } phases
            ? phases.Deserialize<List<PhaseTiming>>(Json) ?? []
            : [];
}

/// <summary>What a fenced step may write to besides tenant storage: the catalog, in the fence's transaction, and its audit trail.</summary>
public sealed record FencedStep(CatalogDbContext Catalog, ControlPlaneAudit Audit);

/// <summary>When a phase started and ended.</summary>
public sealed record PhaseTiming(string Name, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt);

/// <summary>A newer attempt holds the operation now (this one lost its lease: too slow to renew it, or cut off from the catalog).</summary>
public sealed class OperationLeaseLostException(Guid operationId, string? reason = null)
    : Exception($"The lease on operation {operationId} was lost to a newer attempt{(reason is null ? "" : $": {reason}")}.");
