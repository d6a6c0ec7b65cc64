using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Operations;

/// <summary>
/// One run of an operation, by the Provisioner instance holding its lease. Every change of phase,
/// progress or state is written to the catalog at once, and only while the lease is still ours: a
/// run that lost its lease (another instance took over) stops at its next write.
/// </summary>
public sealed class OperationRun(Operation operation, string leaseOwner, IServiceScopeFactory scopes)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly List<PhaseTiming> _phases = ReadPhases(operation.State);

    public Operation Operation => operation;

    public Guid Id => operation.Id;

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

    private async Task WriteAsync(Action<Microsoft.EntityFrameworkCore.Query.UpdateSettersBuilder<Operation>> set, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var catalog = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
        var now = DateTimeOffset.UtcNow;
        var written = await catalog.Operations
            .Where(o => o.Id == operation.Id && o.LeaseOwner == leaseOwner)
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

/// <summary>When a phase started and ended.</summary>
public sealed record PhaseTiming(string Name, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt);

/// <summary>Another Provisioner instance holds the operation now (this one was too slow to renew its lease).</summary>
public sealed class OperationLeaseLostException(Guid operationId) : Exception($"The lease on operation {operationId} was lost to another instance.");
