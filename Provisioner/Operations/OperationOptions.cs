using System.ComponentModel.DataAnnotations;
using TieredTenancy.Tenancy.Data;

namespace TieredTenancy.Provisioner.Operations;

/// <summary>The <c>Operations</c> section: how the runner claims and holds operations.</summary>
public sealed class OperationOptions : IValidatableObject
{
    public const string SectionName = "Operations";

    /// <summary>Operations one instance runs at once.</summary>
    [Range(1, 64)]
    public int MaxConcurrent { get; set; } = 4;

    /// <summary>
    /// How long a lease lasts without renewal: how long an operation of a Provisioner that died waits
    /// before another instance takes it over.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a running operation's lease is renewed; shorter than <see cref="Lease"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan LeaseRenewal { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// The longest any statement of an attempt may run (<c>statement_timeout</c> on every session it
    /// opens); shorter than <see cref="Lease"/>, so what a lost lease leaves running ends before the
    /// lease lapses. Big copies run as several statements that each fit (KeyRanges).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan StatementTimeout { get; set; } = TimeSpan.FromSeconds(8);

    /// <summary>The most rows one statement of a bulk copy (a move's, an export's, an import's) carries: each fits <see cref="StatementTimeout"/>.</summary>
    [Range(1, 10_000_000)]
    public int RowsPerStatement { get; set; } = KeyRanges.RowsPerStatement;

    /// <summary>How often the runner looks for operations nobody wakes it for (left by a dead instance, made by another).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a run that failed unexpectedly waits before it is tried again.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan RetryAfterFailure { get; set; } = TimeSpan.FromSeconds(15);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // A lease renewed no sooner than it expires lapses between renewals, and another instance takes a live operation over.
        if (LeaseRenewal >= Lease)
        {
            yield return new ValidationResult($"LeaseRenewal ({LeaseRenewal}) must be shorter than Lease ({Lease}).", [nameof(LeaseRenewal)]);
        }
        if (StatementTimeout >= Lease)
        {
            yield return new ValidationResult($"StatementTimeout ({StatementTimeout}) must be shorter than Lease ({Lease}).", [nameof(StatementTimeout)]);
        }
    }
}
