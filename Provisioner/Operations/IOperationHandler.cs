using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Operations;

/// <summary>
/// Runs the operations of one kind. A handler is a scoped service, resolved for one attempt from the
/// attempt's own scope (<see cref="OperationHandlers.AddOperationHandler{THandler}"/>); the run holds
/// the operation's lease, and state changes go through <see cref="OperationRun"/>.
/// </summary>
public interface IOperationHandler
{
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

public static class OperationHandlers
{
    /// <summary>Registers the handler of one kind of operation: scoped, one instance per attempt.</summary>
    public static IServiceCollection AddOperationHandler<THandler>(this IServiceCollection services, OperationKind kind)
        where THandler : class, IOperationHandler =>
        services.AddKeyedScoped<IOperationHandler, THandler>(kind);

    /// <summary>The handler of <paramref name="kind"/>, from the scope of the attempt or the request.</summary>
    public static IOperationHandler HandlerOf(this IServiceProvider services, OperationKind kind) =>
        services.GetRequiredKeyedService<IOperationHandler>(kind);
}
