namespace TieredTenancy.Tenancy.Registry;

/// <summary>
/// One storage target's part in one fleet migration: planned when the operation starts, pending
/// until it succeeds or fails, with its attempts and last error. Durable, so a resumed operation
/// knows what is left and a failed target is named.
/// </summary>
public sealed class TargetMigration
{
    public required Guid OperationId { get; init; }

    public required Guid TargetId { get; init; }

    public required StorageTargetKind Kind { get; init; }

    public Guid? TenantId { get; init; }

    public required string Server { get; init; }

    public required string Database { get; init; }

    public required string Schema { get; init; }

    /// <summary>Platform targets (shared tables, templates) first, then the canary, then the rest.</summary>
    public required int Stage { get; init; }

    public required string FromVersion { get; set; }

    public required string ToVersion { get; init; }

    public TargetMigrationState State { get; set; } = TargetMigrationState.Pending;

    public int Attempts { get; set; }

    public string? Error { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }
}

public enum TargetMigrationState { Pending, Succeeded, Failed }

public static class TargetMigrationStages
{
    public const int Platform = 0;
    public const int Canary = 1;
    public const int Fleet = 2;
}
