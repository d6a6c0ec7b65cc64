using StackExchange.Redis;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Api.Tenants;

/// <summary>
/// Drops a tenant's cached registry entry (and what <see cref="IRegistryEntryHolder"/>s keep of it, such as
/// dedicated pools holding a login being rotated away) on this replica whenever the Provisioner broadcasts a change to it, and
/// every entry when storage many tenants share changes.
/// </summary>
public sealed class RegistryChangeListener(IConnectionMultiplexer redis, TenantRegistryCache registry, IEnumerable<IRegistryEntryHolder> holders,
    RegistryChangeLog changes, ILogger<RegistryChangeListener> logger) : IHostedService
{
    private ChannelMessageQueue? _messages;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _messages = await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(RegistryChanges.Channel));
        _messages.OnMessage(async message =>
        {
            var (text, publishedAt) = RegistryChanges.Read(message.Message.ToString());
            if (Guid.TryParse(text, out var tenantId))
            {
                await registry.ForgetAsync(tenantId);
                foreach (var holder in holders)
                {
                    holder.Drop(tenantId);
                }
                changes.Applied(text, publishedAt);
                logger.LogDebug("Registry entry of tenant {TenantId} dropped after a broadcast", tenantId);
            }
            else if (RegistryChanges.IsPlacementTag(text) || text == RegistryChanges.PlansChanged)
            {
                await registry.ForgetAllAsync();
                changes.Applied(text, publishedAt);
                logger.LogInformation("Every registry entry dropped: {Placement} changed", text);
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
