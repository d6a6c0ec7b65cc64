using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Operations;

/// <summary>Runs the operations of one kind. Each run holds the operation's lease; state changes go through <see cref="OperationRun"/>.</summary>
public interface IOperationHandler
{
    OperationKind Kind { get; }

    /// <summary>Runs a pending operation (new, or asked to resume) to its end.</summary>
    Task RunAsync(OperationRun run, CancellationToken cancellationToken);

    /// <summary>
    /// Takes over an operation whose last run stopped without finishing it (its Provisioner died
    /// or stopped): finishes it or rolls it back, from the state it recorded.
    /// </summary>
    Task RecoverAsync(OperationRun run, CancellationToken cancellationToken);

    /// <summary>Whether a finished operation may be run again now; a reason when not.</summary>
    Task<string?> RefuseResumeAsync(Operation operation, CatalogDbContext catalog, CancellationToken cancellationToken);

    /// <summary>What else changes in the catalog when it is resumed (in the same unit of work).</summary>
    Task PrepareResumeAsync(Operation operation, CatalogDbContext catalog, CancellationToken cancellationToken);
}
