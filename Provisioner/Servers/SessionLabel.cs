using Npgsql;
using TieredTenancy.Tenancy.Storage;

namespace TieredTenancy.Provisioner.Servers;

/// <summary>
/// The name the work on this async flow gives its PostgreSQL sessions (<c>application_name</c>), so
/// that whoever takes the work over can find the sessions it left on any server and end them, and
/// the <c>statement_timeout</c> they carry, so that no statement outlives the work's claim on them.
/// The Provisioner's pools reset sessions on close: neither setting outlives the connection's use.
/// </summary>
public static class SessionLabel
{
    private static readonly AsyncLocal<(string Label, TimeSpan StatementTimeout)?> Ambient = new();

    /// <summary>Labels the sessions the calling async flow opens from now on, and bounds their statements.</summary>
    public static void Enter(string label, TimeSpan statementTimeout) => Ambient.Value = (label, statementTimeout);

    /// <summary>Names a connection just opened, when the calling flow has a label.</summary>
    public static async Task ApplyAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        if (Ambient.Value is { } ambient)
        {
            await Sql.ExecuteAsync(connection,
                $"SET application_name = {Sql.Literal(ambient.Label)}; SET statement_timeout = {(long)ambient.StatementTimeout.TotalMilliseconds}", cancellationToken);
        }
    }
}
