using Npgsql;
using TieredTenancy.Tenancy.Storage;

namespace TieredTenancy.Provisioner.Servers;

/// <summary>
/// The name the work on this async flow gives its PostgreSQL sessions (<c>application_name</c>), so
/// that whoever takes the work over can find the sessions it left on any server and end them.
/// </summary>
public static class SessionLabel
{
    private static readonly AsyncLocal<string?> Ambient = new();

    /// <summary>Labels the sessions the calling async flow opens from now on.</summary>
    public static void Enter(string label) => Ambient.Value = label;

    /// <summary>Names a connection just opened, when the calling flow has a label.</summary>
    public static async Task ApplyAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        if (Ambient.Value is { } label)
        {
            await Sql.ExecuteAsync(connection, $"SET application_name = {Sql.Literal(label)}", cancellationToken);
        }
    }
}
