using Npgsql;

namespace TieredTenancy.Tenancy.Storage;

/// <summary>
/// Connections a server cut: terminated (a failover, an operator, a restart's fast shutdown), lost in a crash, refused
/// while the server starts, or broken under the client. Npgsql keeps handing such connections out of its pool one by one
/// (npgsql#5073), so whoever meets one clears the pool, and a pooled connection is proven alive before it is used.
/// </summary>
public static class DroppedConnections
{
    /// <summary>The server cut the connection (a command timeout is not that).</summary>
    public static bool IsDropped(Exception exception)
    {
        for (Exception? inner = exception; inner is not null; inner = inner.InnerException)
        {
            if (inner is PostgresException postgres)
            {
                return postgres.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow
                    || postgres.SqlState.StartsWith("08", StringComparison.Ordinal);
            }
            if (inner is NpgsqlException { InnerException: IOException or System.Net.Sockets.SocketException })
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// A pooled connection that answered a first statement; one the server had cut clears the pool and a fresh one is
    /// opened. For work that opens few connections (the control plane), where a round trip per open costs nothing.
    /// </summary>
    public static async Task<NpgsqlConnection> OpenLiveConnectionAsync(this NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            await ProbeAsync(connection, cancellationToken);
            return connection;
        }
        catch (Exception exception) when (IsDropped(exception))
        {
            await connection.DisposeAsync();
            dataSource.Clear();
            return await dataSource.OpenConnectionAsync(cancellationToken);
        }
    }

    /// <summary>Opens a connection of a connection-string pool the same way (<see cref="OpenLiveConnectionAsync"/>).</summary>
    public static async Task OpenLiveAsync(this NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await connection.OpenAsync(cancellationToken);
        try
        {
            await ProbeAsync(connection, cancellationToken);
        }
        catch (Exception exception) when (IsDropped(exception))
        {
            NpgsqlConnection.ClearPool(connection);
            await connection.CloseAsync();
            await connection.OpenAsync(cancellationToken);
        }
    }

    private static async Task ProbeAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var probe = new NpgsqlCommand("SELECT", connection);
        await probe.ExecuteNonQueryAsync(cancellationToken);
    }
}
