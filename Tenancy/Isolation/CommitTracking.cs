using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;
using TieredTenancy.Tenancy.Data;

namespace TieredTenancy.Tenancy.Isolation;

/// <summary>
/// Notes on a <see cref="TenantDataContext"/> the moment a change of its could have committed (a COMMIT sent, or a
/// write outside a transaction: an implicit one, such as a single-row SaveChanges), and the moment one did (the
/// COMMIT or that write answered). Until the first, a request whose connection was cut provably changed nothing, so
/// it may run again on a fresh one. Runs before the binding's prefix is added, so it reads the command as EF wrote it.
/// </summary>
public sealed class CommitTracking : IDbCommandInterceptor, IDbTransactionInterceptor
{
    public InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        Note(command, eventData);
        return result;
    }

    public ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        Note(command, eventData);
        return ValueTask.FromResult(result);
    }

    public InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
    {
        Note(command, eventData);
        return result;
    }

    public ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Note(command, eventData);
        return ValueTask.FromResult(result);
    }

    public DbDataReader ReaderExecuted(DbCommand command, CommandExecutedEventData eventData, DbDataReader result)
    {
        Done(command, eventData);
        return result;
    }

    public ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result,
        CancellationToken cancellationToken = default)
    {
        Done(command, eventData);
        return ValueTask.FromResult(result);
    }

    public int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result)
    {
        Done(command, eventData);
        return result;
    }

    public ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result,
        CancellationToken cancellationToken = default)
    {
        Done(command, eventData);
        return ValueTask.FromResult(result);
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Committed(eventData.Context);

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Committed(eventData.Context);
        return Task.CompletedTask;
    }

    public InterceptionResult TransactionCommitting(DbTransaction transaction, TransactionEventData eventData, InterceptionResult result)
    {
        Committing(eventData.Context);
        return result;
    }

    public ValueTask<InterceptionResult> TransactionCommittingAsync(DbTransaction transaction, TransactionEventData eventData,
        InterceptionResult result, CancellationToken cancellationToken = default)
    {
        Committing(eventData.Context);
        return ValueTask.FromResult(result);
    }

    private static void Note(DbCommand command, CommandEventData eventData)
    {
        if (CommitsAsItRuns(command))
        {
            Committing(eventData.Context);
        }
    }

    // A command outside a transaction answered after a change may have committed: that change did (a connection runs
    // its commands in order; the binding's prefix is on the text by now, so the command itself is not read again).
    private static void Done(DbCommand command, CommandEventData eventData)
    {
        if (eventData.Context is TenantDataContext { MayHaveCommitted: true } tenantData && command.Transaction is null)
        {
            tenantData.HasCommitted = true;
        }
    }

    // EF's queries begin with SELECT; anything else outside a transaction commits as it runs.
    private static bool CommitsAsItRuns(DbCommand command) =>
        command.Transaction is null && !command.CommandText.StartsWith("SELECT", StringComparison.OrdinalIgnoreCase);

    private static void Committed(Microsoft.EntityFrameworkCore.DbContext? context)
    {
        if (context is TenantDataContext tenantData)
        {
            tenantData.HasCommitted = true;
        }
    }

    private static void Committing(Microsoft.EntityFrameworkCore.DbContext? context)
    {
        if (context is TenantDataContext tenantData)
        {
            tenantData.MayHaveCommitted = true;
        }
    }
}
