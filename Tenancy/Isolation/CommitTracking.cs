using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;
using TieredTenancy.Tenancy.Data;

namespace TieredTenancy.Tenancy.Isolation;

/// <summary>
/// Notes on a <see cref="TenantDataContext"/> the moment a change of its could have committed: a COMMIT sent, or a
/// write outside a transaction (an implicit one, such as a single-row SaveChanges). Until then a request whose
/// connection was cut provably changed nothing, so it may run again on a fresh one. Runs before the binding's
/// prefix is added, so it reads the command as EF wrote it.
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
        // EF's queries begin with SELECT; anything else outside a transaction commits as it runs.
        if (command.Transaction is null && !command.CommandText.StartsWith("SELECT", StringComparison.OrdinalIgnoreCase))
        {
            Committing(eventData.Context);
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
