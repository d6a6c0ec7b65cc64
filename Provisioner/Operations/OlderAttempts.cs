using Npgsql;
using TieredTenancy.Provisioner.Servers;
using TieredTenancy.Provisioner.Storage;
using TieredTenancy.Tenancy.Storage;

namespace TieredTenancy.Provisioner.Operations;

/// <summary>
/// What a new attempt does before its first step: end every statement and transaction an older
/// attempt of the same operation still runs, on every server (found by their application_name),
/// move the catalog's fence to the new attempt, and wait until nothing of the older ones is left.
/// A cancelled task does not stop a statement PostgreSQL is running; terminating its backend does.
/// </summary>
public sealed class OlderAttempts(TenantServers servers, ILogger<OlderAttempts> logger)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>Ends the older attempts and fences them out; how many backends it ended.</summary>
    public async Task<int> EndAsync(OperationAttempt attempt, NpgsqlConnection catalog, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + Patience;
        var ended = 0;
        // The fence row is held (FOR SHARE) by an older attempt's step until that step commits: end it, then move the fence.
        while (true)
        {
            ended += await TerminateAsync(attempt, cancellationToken);
            if (await TryFenceAsync(attempt, catalog, cancellationToken))
            {
                break;
            }
            Before(deadline, attempt, "the fence");
        }
        // A step of an older attempt that began before the fence moved may still run: end it too, and see it gone.
        while (true)
        {
            var now = await TerminateAsync(attempt, cancellationToken);
            ended += now;
            if (now == 0)
            {
                break;
            }
            Before(deadline, attempt, "their backends");
            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
        if (ended > 0)
        {
            logger.LogWarning("Attempt {Attempt} of operation {OperationId} ended {Ended} backend(s) of older attempts before its first step",
                attempt.Attempt, attempt.OperationId, ended);
        }
        return ended;
    }

    private static void Before(DateTime deadline, OperationAttempt attempt, string what)
    {
        if (DateTime.UtcNow > deadline)
        {
            throw new TimeoutException($"Attempt {attempt.Attempt} of operation {attempt.OperationId} could not end its older attempts ({what}) within {Patience}.");
        }
    }

    /// <summary>Terminates, on the main server and every dedicated server, the working backends of older attempts; how many.</summary>
    private async Task<int> TerminateAsync(OperationAttempt attempt, CancellationToken cancellationToken)
    {
        var ended = 0;
        await using (var main = await servers.ConnectSharedAsync(cancellationToken))
        {
            ended += await TerminateOnAsync(main, attempt, cancellationToken);
        }
        foreach (var server in servers.DedicatedServers)
        {
            await using var dedicated = await servers.DedicatedAdmin(server).OpenLiveConnectionAsync(cancellationToken);
            ended += await TerminateOnAsync(dedicated, attempt, cancellationToken);
        }
        return ended;
    }

    // Idle sessions are left alone: they hold nothing, and any step they run next meets the fence. Until one is gone, it counts.
    private static async Task<int> TerminateOnAsync(NpgsqlConnection connection, OperationAttempt attempt, CancellationToken cancellationToken) =>
        (int)await Sql.ScalarAsync<long>(connection, """
            SELECT count(*) FROM (
              SELECT pg_terminate_backend(pid) FROM pg_stat_activity
              WHERE application_name LIKE $1 || '%' AND pid <> pg_backend_pid() AND state IS DISTINCT FROM 'idle'
                AND split_part(application_name, ':', 3)::integer < $2) ended
            """, cancellationToken, OperationAttempt.Prefix(attempt.OperationId), attempt.Attempt);

    /// <summary>Names this attempt in the fence, unless an older attempt's step holds it past a second (then false) or a newer attempt does.</summary>
    private static async Task<bool> TryFenceAsync(OperationAttempt attempt, NpgsqlConnection catalog, CancellationToken cancellationToken)
    {
        await using var transaction = await catalog.BeginTransactionAsync(cancellationToken);
        await Sql.ExecuteAsync(catalog, "SET LOCAL lock_timeout = '1s'", cancellationToken, transaction);
        try
        {
            var fenced = await Sql.ScalarAsync<int?>(catalog, """
                INSERT INTO operation_fences (operation_id, attempt) VALUES ($1, $2)
                ON CONFLICT (operation_id) DO UPDATE SET attempt = excluded.attempt WHERE operation_fences.attempt < excluded.attempt
                RETURNING attempt
                """, cancellationToken, attempt.OperationId, attempt.Attempt);
            if (fenced is null)
            {
                throw new OperationLeaseLostException(attempt.OperationId, $"a newer attempt than {attempt.Attempt} holds the fence");
            }
            await transaction.CommitAsync(cancellationToken);
            return true;
        }
        catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.LockNotAvailable)
        {
            await transaction.RollbackAsync(cancellationToken);
            return false;
        }
    }
}
