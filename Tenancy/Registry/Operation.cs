namespace TieredTenancy.Tenancy.Registry;

/// <summary>
/// A long-running control-plane operation (a tier move, a fleet migration, an offboarding), durable
/// so that it can be watched, resumed by any Provisioner instance after a crash, and never run twice
/// at once: an instance holds a short lease while it works and renews it; an expired lease means
/// its holder died and another instance takes the operation over.
/// </summary>
public sealed class Operation
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    public required OperationKind Kind { get; init; }

    public Guid? TenantId { get; init; }

    public OperationStatus Status { get; set; } = OperationStatus.Pending;

    public string Phase { get; set; } = "";

    /// <summary>Progress in the operation's own unit (rows for a move, targets for a migration).</summary>
    public long Done { get; set; }

    public long Total { get; set; }

    public string? Error { get; set; }

    /// <summary>The client id of whoever asked for it.</summary>
    public string Actor { get; init; } = "system";

    /// <summary>What was asked (JSON, the kind's own shape); fixed when the operation is created.</summary>
    public string Parameters { get; init; } = "{}";

    /// <summary>How far it got (JSON, the kind's own shape): what a resumed or rolled-back run needs to know.</summary>
    public string State { get; set; } = "{}";

    /// <summary>How many times a run of it was started (first run, resumptions after crashes or on request).</summary>
    public int Attempts { get; set; }

    public string? LeaseOwner { get; set; }

    public DateTimeOffset? LeaseExpiresAt { get; set; }

    /// <summary>Test runs only: faults to inject into this operation's steps (see the Provisioner's FaultInjection).</summary>
    public string? FaultPlan { get; init; }

    /// <summary>Not run before this time (an offboarding's grace period); none means at once.</summary>
    public DateTimeOffset? NotBefore { get; set; }

    public DateTimeOffset StartedAt { get; init; } = DateTimeOffset.UtcNow;

    public DateTimeOffset UpdatedAt { get; set; } = DateTimeOffset.UtcNow;

    public DateTimeOffset? FinishedAt { get; set; }

    public bool IsActive => Status is OperationStatus.Pending or OperationStatus.Running;
}

public enum OperationKind { Provision, Move, Migrate, Offboard, Import, Rotate }

public enum OperationStatus { Pending, Running, Succeeded, Failed, RolledBack }

public static class OperationStatuses
{
    /// <summary>The statuses of an operation that still holds its tenant; SQL spelling, for the unique index's filter.</summary>
    public const string ActiveSqlFilter = "status IN ('Pending', 'Running')";

    /// <summary>The unique index that lets one fleet migration run at a time.</summary>
    public const string OneActiveMigrationIndex = "ix_operations_one_active_migration";

    public const string ActiveMigrationSqlFilter = "kind = 'Migrate' AND status IN ('Pending', 'Running')";
}
