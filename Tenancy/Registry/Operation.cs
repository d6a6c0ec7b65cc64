namespace TieredTenancy.Tenancy.Registry;

/// <summary>A long-running control-plane operation, durable so it can be watched and resumed.</summary>
public sealed class Operation
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    public required OperationKind Kind { get; init; }

    public Guid? TenantId { get; init; }

    public OperationStatus Status { get; set; } = OperationStatus.Pending;

    public string Phase { get; set; } = "";

    public int Done { get; set; }

    public int Total { get; set; }

    public string? Error { get; set; }

    public DateTimeOffset StartedAt { get; init; } = DateTimeOffset.UtcNow;

    public DateTimeOffset? FinishedAt { get; set; }
}

public enum OperationKind { Provision, Move, Migrate, Offboard }

public enum OperationStatus { Pending, Running, Succeeded, Failed, RolledBack }
