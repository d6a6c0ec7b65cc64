using Microsoft.Extensions.Options;
using StackExchange.Redis;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Api.Authentication;

/// <summary>
/// Keeps <see cref="ClientRevocations"/> current: read whole before serving (else revoked tokens would pass), one client
/// again on each broadcast, and whole again every <see cref="AccessTokenOptions.RevocationRefreshInterval"/> and on
/// reconnecting to Redis, so a replica that missed a broadcast still converges.
/// </summary>
public sealed class ClientRevocationListener(IConnectionMultiplexer redis, ClientRevocations revocations, IOptions<AccessTokenOptions> options,
    RegistryChangeLog changes, ILogger<ClientRevocationListener> logger) : BackgroundService
{
    private ChannelMessageQueue? _messages;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Subscribed before the first read: a change committed in between is in the read or in a message.
        _messages = await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(RegistryChanges.Channel));
        _messages.OnMessage(async message =>
        {
            var (change, publishedAt) = RegistryChanges.Read(message.Message.ToString());
            if (RegistryChanges.TryReadClientTag(change, out var clientId))
            {
                await RefreshAsync(() => revocations.RefreshAsync(clientId, CancellationToken.None), $"client {clientId}");
                changes.Applied(change, publishedAt);
            }
        });
        redis.ConnectionRestored += OnConnectionRestored;
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

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionRestored -= OnConnectionRestored;
        if (_messages is not null)
        {
            await _messages.UnsubscribeAsync();
        }
        await base.StopAsync(cancellationToken);
    }

    // Broadcasts sent while the connection was down are lost: read everything again.
    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs args) =>
        _ = RefreshAsync(() => revocations.RefreshAllAsync(CancellationToken.None), "every client, Redis reconnected");

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
