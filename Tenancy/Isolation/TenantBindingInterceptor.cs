using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;
using TieredTenancy.Tenancy.Data;

namespace TieredTenancy.Tenancy.Isolation;

/// <summary>
/// Binds every command of a <see cref="TenantDataContext"/> to its tenant in the same round trip:
/// one leading SELECT (a separate statement costs far more throughput) sets the role, search_path
/// and RLS setting, then enters the placement's fence (<see cref="PlacementFence"/>; targets run
/// left to right), and reports what it bound; the report is checked before any row is returned, so
/// a mismatch fails the command. A context without a binding runs nothing at all.
/// </summary>
public sealed class TenantBindingInterceptor : DbCommandInterceptor
{
    // public.tt_enter is qualified: names are resolved before this statement's own search_path applies.
    // The settings are the transaction's (is_local): the prefix and the query are one implicit
    // transaction (one Sync), a SaveChanges is an explicit one with the prefix on each command, and
    // when it ends PostgreSQL puts the role, the search_path and the tenant setting back. So a pooled
    // connection holds no tenant between uses without Npgsql's session reset (see TenantStorageOptions.NoResetOnClose).
    private const string Prefix =
        "SELECT set_config('role', @tt_role, true), set_config('search_path', @tt_search_path, true), " +
        "set_config('app.tenant_id', @tt_tenant, true), current_database(), public.tt_enter(@tt_tenant::uuid, @tt_epoch, @tt_writes);\n";

    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        Bind(command, eventData);
        return result;
    }

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        Bind(command, eventData);
        return ValueTask.FromResult(result);
    }

    public override DbDataReader ReaderExecuted(DbCommand command, CommandExecutedEventData eventData, DbDataReader result)
    {
        Verify(result, eventData);
        result.NextResult();
        return result;
    }

    public override async ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result,
        CancellationToken cancellationToken = default)
    {
        await VerifyAsync(result, eventData, cancellationToken);
        await result.NextResultAsync(cancellationToken);
        return result;
    }

    public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
    {
        Bind(command, eventData);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Bind(command, eventData);
        return ValueTask.FromResult(result);
    }

    // A scalar result would be the binding report, not the query's: refuse rather than answer wrongly.
    public override InterceptionResult<object> ScalarExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<object> result) =>
        throw new InvalidOperationException("Scalar commands are not supported on tenant connections; use a query.");

    public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<object> result, CancellationToken cancellationToken = default) =>
        throw new InvalidOperationException("Scalar commands are not supported on tenant connections; use a query.");

    private static TenantBinding BindingOf(CommandEventData eventData) =>
        (eventData.Context as TenantDataContext)?.Binding
        ?? throw new TenantBindingException("No tenant is bound to this context; nothing may run on tenant storage without one.");

    private static void Bind(DbCommand command, CommandEventData eventData)
    {
        var binding = BindingOf(eventData);
        command.CommandText = Prefix + command.CommandText;
        // Typed parameters: no boxing, no type inference from the value.
        command.Parameters.Add(new NpgsqlParameter<string>("tt_role", binding.Role));
        command.Parameters.Add(new NpgsqlParameter<string>("tt_search_path", binding.SearchPath));
        command.Parameters.Add(new NpgsqlParameter<string>("tt_tenant", binding.TenantId.ToString()));
        command.Parameters.Add(new NpgsqlParameter<long>("tt_epoch", binding.Epoch));
        command.Parameters.Add(new NpgsqlParameter<bool>("tt_writes", binding.Writes));
    }

    private static void Verify(DbDataReader reader, CommandEventData eventData)
    {
        if (!reader.Read())
        {
            throw new TenantBindingException("The tenant binding reported nothing.");
        }
        Check(BindingOf(eventData), reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4));
    }

    private static async Task VerifyAsync(DbDataReader reader, CommandEventData eventData, CancellationToken cancellationToken)
    {
        if (!await reader.ReadAsync(cancellationToken))
        {
            throw new TenantBindingException("The tenant binding reported nothing.");
        }
        Check(BindingOf(eventData), reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4));
    }

    private static void Check(TenantBinding expected, string role, string searchPath, string tenant, string database, long epoch)
    {
        if (role != expected.Role || searchPath != expected.SearchPath || tenant != expected.TenantId.ToString() || database != expected.Database
            || epoch != expected.Epoch)
        {
            throw new TenantBindingException(
                $"The connection is not bound to tenant {expected.TenantId}: role={role}, search_path={searchPath}, tenant={tenant}, database={database}, epoch={epoch}.");
        }
    }
}

/// <summary>The connection could not be proven to belong to the request's tenant; the request fails closed.</summary>
public sealed class TenantBindingException(string message) : Exception(message);
