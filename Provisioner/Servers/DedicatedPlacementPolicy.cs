namespace TieredTenancy.Provisioner.Servers;

/// <summary>
/// A new database-tier tenant goes to the dedicated server with the most room: servers at their
/// tenant limit take none; among the others, the one with the smallest share of its tenant limit
/// or its connection budget in use (whichever is fuller), fewest tenants on a tie.
/// </summary>
public sealed class DedicatedPlacementPolicy(ServerLoad load, TenantServers servers)
{
    public async Task<string> ChooseServerAsync(CancellationToken cancellationToken)
    {
        if (servers.DedicatedServers.Count == 0)
        {
            throw new InvalidOperationException("No dedicated server is configured for database-tier tenants.");
        }
        var dedicated = await load.AllAsync(withSizes: false, cancellationToken, dedicatedOnly: true);
        var withRoom = dedicated.Where(server => server.Tenants.Database < server.TenantLimit).ToList();
        if (withRoom.Count == 0)
        {
            throw new NoServerRoomException(
                $"Every dedicated server holds its limit of {dedicated[0].TenantLimit} database tenants; add a server (Infrastructure:DedicatedServerCount) or raise Capacity:DedicatedServerTenantLimit.");
        }
        return withRoom
            .OrderBy(server => Math.Max((double)server.Tenants.Database / server.TenantLimit!.Value,
                (double)server.Connections.Tenants / Math.Max(1, server.Connections.Budget ?? server.Connections.MaxConnections)))
            .ThenBy(server => server.Tenants.Database)
            .First().Name;
    }

    /// <summary>Throws <see cref="NoServerRoomException"/> unless <paramref name="server"/> (or, when null, some dedicated server) can take another database tenant.</summary>
    public async Task EnsureRoomAsync(string? server, CancellationToken cancellationToken)
    {
        if (server is null)
        {
            await ChooseServerAsync(cancellationToken);
            return;
        }
        var report = (await load.AllAsync(withSizes: false, cancellationToken, dedicatedOnly: true)).SingleOrDefault(s => s.Name == server);
        if (report is not null && report.Tenants.Database >= report.TenantLimit)
        {
            throw new NoServerRoomException(
                $"{server} holds its limit of {report.TenantLimit} database tenants; choose another server or raise Capacity:DedicatedServerTenantLimit.");
        }
    }
}

/// <summary>No dedicated server (or not the one asked for) has room for another database tenant.</summary>
public sealed class NoServerRoomException(string message) : InvalidOperationException(message);
