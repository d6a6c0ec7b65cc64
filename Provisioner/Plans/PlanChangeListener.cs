using StackExchange.Redis;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Plans;

/// <summary>
/// Drops this Provisioner's copy of the plans when any Provisioner instance broadcasts a plan change,
/// so a second instance checks creations, moves and usage against the new limits at once rather
/// than when its copy expires (30 s).
/// </summary>
public sealed class PlanChangeListener(IConnectionMultiplexer redis, PlanCatalog plans, RegistryChangeLog changes) : IHostedService
{
    private ChannelMessageQueue? _messages;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _messages = await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(RegistryChanges.Channel));
        _messages.OnMessage(message =>
        {
            var (change, publishedAt) = RegistryChanges.Read(message.Message.ToString());
            if (change == RegistryChanges.PlansChanged)
            {
                plans.Forget();
                changes.Applied(change, publishedAt);
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
