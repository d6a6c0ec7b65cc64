namespace TieredTenancy.Tenancy.Registry;

/// <summary>
/// One attempt at an operation: the Provisioner replica that claimed it, when, and how its run
/// ended. The attempt number is the operation's fencing token: only the newest attempt's writes
/// are accepted (the catalog's <c>tt_operation_fence</c> refuses the others').
/// </summary>
public sealed class OperationClaim
{
    public required Guid OperationId { get; init; }

    public required int Attempt { get; init; }

    /// <summary>The replica that ran it (machine/pid/instance).</summary>
    public required string Instance { get; init; }

    public DateTimeOffset ClaimedAt { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>How many backends of older attempts this one ended before its first step.</summary>
    public int EndedBackends { get; set; }

    /// <summary>When the older attempts' backends were gone and the fence named this attempt.</summary>
    public DateTimeOffset? FencedAt { get; set; }

    public DateTimeOffset? EndedAt { get; set; }

    /// <summary>succeeded, rolledBack, failed, superseded, stopped or retried (a failure that is tried again).</summary>
    public string? Outcome { get; set; }
}
