using StackExchange.Redis;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Api.Tenants;

/// <summary>Drops a tenant's cached registry entry on this replica whenever the Provisioner broadcasts a change to it.</summary>
public sealed class RegistryChangeListener(IConnectionMultiplexer redis, TenantRegistryCache registry, ILogger<RegistryChangeListener> logger) : IHostedService
{
    private ChannelMessageQueue? _messages;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _messages = await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(RegistryChanges.Channel));
        _messages.OnMessage(async message =>
        {
            if (Guid.TryParse(message.Message.ToString(), out var tenantId))
            {
                await registry.ForgetAsync(tenantId);
                logger.LogDebug("Registry entry of tenant {TenantId} dropped after a broadcast", tenantId);
            }
        });
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_messages is not null)
        {
            await _messages.UnsubscribeAsync();
        }
    }
}
