using Npgsql;
using TieredTenancy.Tenancy.Storage;

namespace TieredTenancy.Provisioner.Operations;

/// <summary>
/// One attempt at an operation; its number is the operation's fencing token. It flows with the
/// async context of its run, and every connection the run opens to a PostgreSQL server carries its
/// name (<c>application_name</c>), so a later attempt can find and end whatever this one still runs.
/// </summary>
public sealed record OperationAttempt(Guid OperationId, int Attempt)
{
    private static readonly AsyncLocal<OperationAttempt?> Ambient = new();

    /// <summary>The attempt the calling code runs for, if any.</summary>
    public static OperationAttempt? Current => Ambient.Value;

    public string ApplicationName => $"{Prefix(OperationId)}{Attempt}";

    /// <summary>What the names of every attempt of the operation start with.</summary>
    public static string Prefix(Guid operationId) => $"tt-op:{operationId:N}:";

    /// <summary>Makes this the attempt of the calling async flow (a run's own task).</summary>
    public void Enter() => Ambient.Value = this;

    /// <summary>Names a connection just opened after the current attempt, if the caller runs for one.</summary>
    public static async Task NameAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        if (Current is { } attempt)
        {
            await Sql.ExecuteAsync(connection, $"SET application_name = {Sql.Literal(attempt.ApplicationName)}", cancellationToken);
        }
    }
}
