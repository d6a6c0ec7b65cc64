using System.Threading.Channels;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using StackExchange.Redis;

namespace TieredTenancy.Tenancy.Registry;

/// <summary>What a process does with a registry change; each change usually arrives twice (once per channel), so applying it is idempotent.</summary>
public interface IRegistryChangeHandler
{
    ValueTask ApplyAsync(string change, CancellationToken cancellationToken);

    /// <summary>A channel was down, so changes may have been missed: whatever is cached is read again.</summary>
    ValueTask MissedChangesAsync(CancellationToken cancellationToken);
}

/// <summary>
/// Registry changes from both channels, applied in arrival order by every <see cref="IRegistryChangeHandler"/>: the Redis
/// channel the Provisioner publishes on, and the catalog's own <c>LISTEN/NOTIFY</c> (sent at commit by a trigger on the
/// registry's tables, see the RegistryNotifications migration), so a change reaches this process within a second whether
/// or not Redis answers. Either channel coming back after a loss counts as missed changes.
/// </summary>
public sealed class RegistryChangeFeed(IConnectionMultiplexer redis, IConfiguration configuration, IEnumerable<IRegistryChangeHandler> handlers,
    RegistryChangeLog changes, ILogger<RegistryChangeFeed> logger) : BackgroundService
{
    /// <summary>The catalog's notification channel (the trigger's <c>pg_notify</c>).</summary>
    public const string NotifyChannel = "tt_registry_changes";

    private static readonly TimeSpan ReconnectDelay = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan SubscribeWait = TimeSpan.FromSeconds(2);

    private readonly Channel<Arrival> _arrivals = Channel.CreateUnbounded<Arrival>(new UnboundedChannelOptions { SingleReader = true });
    private readonly IRegistryChangeHandler[] _handlers = handlers.ToArray();
    private NpgsqlConnection? _listening;
    private bool _subscribed;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Both channels before the services' first reads: a change committed in between is in the read or in a message.
        redis.ConnectionRestored += OnRedisRestored;
        await SubscribeAsync();
        try
        {
            _listening = await ListenAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
        {
            logger.LogWarning(exception, "Could not listen for the catalog's registry notifications at start; retrying");
        }
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var applying = ApplyArrivalsAsync(stoppingToken);
        // Apart from the listening loop: a Redis that does not answer must not hold back the catalog's notifications.
        var subscribing = SubscribeUntilDoneAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var missed = _listening is null;
                _listening ??= await ListenAsync(stoppingToken);
                if (missed)
                {
                    _arrivals.Writer.TryWrite(Arrival.Missed("catalog notifications"));
                }
                // Each notification is raised on the Notification event while this waits.
                await _listening.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(exception, "The catalog's registry notifications stopped; listening again");
                await DisposeListeningAsync();
                await Task.Delay(ReconnectDelay, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        _arrivals.Writer.TryComplete();
        await applying;
        await subscribing;
    }

    private async Task SubscribeUntilDoneAsync(CancellationToken stoppingToken)
    {
        while (!_subscribed && !stoppingToken.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (!stoppingToken.IsCancellationRequested)
            {
                await SubscribeAsync();
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionRestored -= OnRedisRestored;
        await base.StopAsync(cancellationToken);
        await DisposeListeningAsync();
    }

    private async Task<NpgsqlConnection> ListenAsync(CancellationToken cancellationToken)
    {
        var settings = new NpgsqlConnectionStringBuilder(configuration.GetConnectionString("catalog"))
        {
            // One long-lived connection of its own; keepalives notice a server that went away without a word.
            Pooling = false,
            KeepAlive = 5,
            Timeout = 5,
            ApplicationName = "registry-change-feed",
        };
        var connection = new NpgsqlConnection(settings.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            connection.Notification += (_, notification) => _arrivals.Writer.TryWrite(Arrival.Of(notification.Payload));
            await using var listen = new NpgsqlCommand($"LISTEN {NotifyChannel}", connection);
            await listen.ExecuteNonQueryAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private async Task DisposeListeningAsync()
    {
        if (Interlocked.Exchange(ref _listening, null) is { } connection)
        {
            await connection.DisposeAsync();
        }
    }

    private async Task SubscribeAsync()
    {
        try
        {
            // Not SE.Redis's 5 s: a start must not wait that long on a Redis that does not answer.
            await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(RegistryChanges.Channel),
                (_, message) => _arrivals.Writer.TryWrite(Arrival.Of(message.ToString()))).WaitAsync(SubscribeWait);
            _subscribed = true;
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            // The catalog's channel carries every change meanwhile; the subscription is tried again.
            logger.LogWarning(exception, "Could not subscribe to the registry changes on Redis");
        }
    }

    // Broadcasts sent while the subscription's connection was down are lost (the interactive connection's return says nothing of them).
    private void OnRedisRestored(object? sender, ConnectionFailedEventArgs args)
    {
        if (args.ConnectionType == ConnectionType.Subscription)
        {
            _arrivals.Writer.TryWrite(Arrival.Missed("Redis"));
        }
    }

    private async Task ApplyArrivalsAsync(CancellationToken stoppingToken)
    {
        await foreach (var arrival in _arrivals.Reader.ReadAllAsync(CancellationToken.None))
        {
            foreach (var handler in _handlers)
            {
                try
                {
                    await (arrival.Change is { } change ? handler.ApplyAsync(change, stoppingToken) : handler.MissedChangesAsync(stoppingToken));
                }
                catch (Exception exception) when (exception is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    logger.LogWarning(exception, "{Handler} could not apply the registry change {Change}", handler.GetType().Name, arrival.Change ?? arrival.Missing);
                }
            }
            if (arrival.Change is { } applied)
            {
                changes.Applied(applied, arrival.PublishedAt);
            }
            else
            {
                logger.LogInformation("Registry changes may have been missed while {Channel} was away; cached entries read again", arrival.Missing);
            }
        }
    }

    private sealed record Arrival(string? Change, DateTimeOffset? PublishedAt, string? Missing)
    {
        public static Arrival Of(string message)
        {
            var (change, publishedAt) = RegistryChanges.Read(message);
            return new Arrival(change, publishedAt, null);
        }

        public static Arrival Missed(string channel) => new(null, null, channel);
    }
}

public static class RegistryChangeFeedServices
{
    /// <summary>The feed, once, started before the hosted services registered after it (their first reads follow its subscriptions).</summary>
    public static IServiceCollection AddRegistryChangeFeed(this IServiceCollection services)
    {
        services.TryAddSingleton<RegistryChangeLog>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, RegistryChangeFeed>());
        return services;
    }
}
