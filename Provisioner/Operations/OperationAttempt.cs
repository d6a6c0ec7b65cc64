using TieredTenancy.Provisioner.Servers;

namespace TieredTenancy.Provisioner.Operations;

/// <summary>
/// One attempt at an operation; its number is the operation's fencing token. Every connection its
/// run opens to a PostgreSQL server carries its name (<see cref="SessionLabel"/>), so a later
/// attempt can find and end whatever this one still runs, and a statement timeout shorter than the
/// lease, so a statement of an attempt that lost its lease ends before the lease could pass to another.
/// </summary>
public sealed record OperationAttempt(Guid OperationId, int Attempt)
{
    public string ApplicationName => $"{Prefix(OperationId)}{Attempt}";

    /// <summary>What the names of every attempt of the operation start with.</summary>
    public static string Prefix(Guid operationId) => $"tt-op:{operationId:N}:";

    /// <summary>
    /// Makes this the attempt of the calling async flow (a run's own task): its sessions carry its
    /// name, and no statement of theirs runs longer than <paramref name="statementTimeout"/> (shorter than the lease).
    /// </summary>
    public void Enter(TimeSpan statementTimeout) => SessionLabel.Enter(ApplicationName, statementTimeout);

    /// <summary>
    /// Proves in the connection's open catalog transaction that this is the operation's current
    /// attempt (<c>tt_operation_fence</c>); the fence row stays held until that transaction ends, so
    /// a newer attempt's claim waits for it or ends it. A superseded attempt gets <see cref="OperationLeaseLostException"/>.
    /// </summary>
    public async Task HoldFenceAsync(Npgsql.NpgsqlConnection catalog, Npgsql.NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = new Npgsql.NpgsqlCommand("SELECT tt_operation_fence($1, $2)", catalog, transaction)
        {
            Parameters = { new() { Value = OperationId }, new() { Value = Attempt } },
        };
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (Npgsql.PostgresException exception) when (exception.SqlState == OperationRun.SupersededSqlState)
        {
            throw new OperationLeaseLostException(OperationId, exception.MessageText);
        }
    }
}
