using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Operations;

/// <summary>An operation as the admin API shows it: what, how far, how it ended, and its report (never secrets).</summary>
public sealed record OperationResponse(
    Guid Id,
    string Kind,
    Guid? TenantId,
    string Status,
    string Phase,
    OperationProgress Progress,
    string? Error,
    int Attempts,
    DateTimeOffset StartedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? FinishedAt,
    IReadOnlyList<PhaseTiming> Phases,
    JsonNode? Report)
{
    public static OperationResponse From(Operation operation)
    {
        var state = JsonNode.Parse(operation.State) as JsonObject;
        return new(operation.Id,
            operation.Kind.ToString().ToLowerInvariant(),
            operation.TenantId,
            JsonNamingPolicy.CamelCase.ConvertName(operation.Status.ToString()),
            operation.Phase,
            new OperationProgress(operation.Done, operation.Total),
            operation.Error,
            operation.Attempts,
            operation.StartedAt,
            operation.UpdatedAt,
            operation.FinishedAt,
            state?["phases"]?.Deserialize<List<PhaseTiming>>(OperationRun.Json) ?? [],
            // Handlers keep what may be shown under "report"; the rest of their state stays inside.
            state?["data"]?["report"]?.DeepClone());
    }

    public static string Location(Guid operationId) => $"/admin/operations/{operationId}";

    /// <summary>The answer to a request that started (or resumed) <paramref name="operation"/>: 202, its address and its state.</summary>
    public static Accepted<OperationResponse> Accepted(Operation operation) => TypedResults.Accepted(Location(operation.Id), From(operation));
}

public sealed record OperationProgress(long Done, long Total);

/// <summary>
/// One attempt at an operation: the replica that claimed it, when the older attempts' backends
/// were gone (and how many it ended), and how the attempt ended.
/// </summary>
public sealed record OperationAttemptResponse(int Attempt, string Instance, DateTimeOffset ClaimedAt, DateTimeOffset? FencedAt, int EndedBackends,
    DateTimeOffset? EndedAt, string? Outcome);

/// <summary>A tenant's running operation, as tenant responses show it.</summary>
public sealed record RunningOperation(Guid Id, string Kind, string Status, string Phase, OperationProgress Progress)
{
    public static RunningOperation From(Operation operation) =>
        new(operation.Id, operation.Kind.ToString().ToLowerInvariant(), JsonNamingPolicy.CamelCase.ConvertName(operation.Status.ToString()),
            operation.Phase, new OperationProgress(operation.Done, operation.Total));
}
