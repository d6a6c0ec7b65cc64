using StackExchange.Redis;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Broadcast;

/// <summary>Tells every Api replica that a tenant's registry entry changed, so each drops its cached copy.</summary>
public sealed class RegistryBroadcast(IConnectionMultiplexer redis, ILogger<RegistryBroadcast> logger)
{
    public Task TenantChangedAsync(Guid tenantId) => PublishAsync(tenantId.ToString());

    /// <summary>Every tenant served from that placement changed (its storage was migrated).</summary>
    public Task PlacementChangedAsync(string server, string database, string schema) =>
        PublishAsync(RegistryChanges.PlacementTag(server, database, schema));

    /// <summary>An API client was revoked or given a new secret: every replica refuses its earlier tokens.</summary>
    public Task ClientChangedAsync(string clientId) => PublishAsync(RegistryChanges.ClientTag(clientId));

    /// <summary>A plan's limits or features changed: every cached tenant entry carries them.</summary>
    public Task PlansChangedAsync() => PublishAsync(RegistryChanges.PlansChanged);

    private async Task PublishAsync(string message)
    {
        try
        {
            await redis.GetSubscriber().PublishAsync(RedisChannel.Literal(RegistryChanges.Channel), RegistryChanges.Stamped(message, DateTimeOffset.UtcNow));
        }
        catch (RedisException exception)
        {
            // The registry row is already committed; replicas re-read it when their short cache lifetime
            // ends (revoked clients: at their next periodic refresh).
            logger.LogWarning(exception, "Could not broadcast the registry change {Change}", message);
        }
    }
}
