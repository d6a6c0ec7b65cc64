using Microsoft.Extensions.Options;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Api.Authentication;

/// <summary>
/// Keeps <see cref="ClientRevocations"/> current: read whole before serving (else revoked tokens would pass), one client
/// again on each change the <see cref="RegistryChangeFeed"/> brings, and whole again every
/// <see cref="AccessTokenOptions.RevocationRefreshInterval"/> and whenever changes may have been missed, so a replica still converges.
/// </summary>
public sealed class ClientRevocationListener(ClientRevocations revocations, IOptions<AccessTokenOptions> options, ILogger<ClientRevocationListener> logger)
    : BackgroundService, IRegistryChangeHandler
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // The feed subscribed before this first read (it starts first): a change committed in between is in the read or in a message.
        await revocations.RefreshAllAsync(cancellationToken);
        logger.LogInformation("{Count} revoked or rotated API clients known at start", revocations.Count);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RevocationRefreshInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await RefreshAsync(() => revocations.RefreshAllAsync(stoppingToken), "every client");
        }
    }

    public async ValueTask ApplyAsync(string change, CancellationToken cancellationToken)
    {
        if (RegistryChanges.TryReadClientTag(change, out var clientId))
        {
            await RefreshAsync(() => revocations.RefreshAsync(clientId, CancellationToken.None), $"client {clientId}");
        }
    }

    public async ValueTask MissedChangesAsync(CancellationToken cancellationToken) =>
        await RefreshAsync(() => revocations.RefreshAllAsync(CancellationToken.None), "every client, after missed changes");

    private async Task RefreshAsync(Func<Task> refresh, string what)
    {
        try
        {
            await refresh();
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // The next periodic refresh tries again.
            logger.LogWarning(exception, "Could not read the revoked API clients ({What}) from the catalog", what);
        }
    }
}
