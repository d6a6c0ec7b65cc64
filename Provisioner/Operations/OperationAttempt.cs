using TieredTenancy.Provisioner.Servers;

namespace TieredTenancy.Provisioner.Operations;

/// <summary>
/// One attempt at an operation; its number is the operation's fencing token. Every connection its
/// run opens to a PostgreSQL server carries its name (<see cref="SessionLabel"/>), so a later
/// attempt can find and end whatever this one still runs.
/// </summary>
public sealed record OperationAttempt(Guid OperationId, int Attempt)
{
    public string ApplicationName => $"{Prefix(OperationId)}{Attempt}";

    /// <summary>What the names of every attempt of the operation start with.</summary>
    public static string Prefix(Guid operationId) => $"tt-op:{operationId:N}:";

    /// <summary>Makes this the attempt of the calling async flow (a run's own task): its sessions carry its name.</summary>
    public void Enter() => SessionLabel.Enter(ApplicationName);
}
