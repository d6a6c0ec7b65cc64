using StackExchange.Redis;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Tenants;

/// <summary>Tells every Api replica that a tenant's registry entry changed, so each drops its cached copy.</summary>
public sealed class RegistryBroadcast(IConnectionMultiplexer redis, ILogger<RegistryBroadcast> logger)
{
    public async Task TenantChangedAsync(Guid tenantId)
    {
        try
        {
            await redis.GetSubscriber().PublishAsync(RedisChannel.Literal(RegistryChanges.Channel), tenantId.ToString());
        }
        catch (RedisException exception)
        {
            // The registry row is already committed; replicas re-read it when their short cache lifetime ends.
            logger.LogWarning(exception, "Could not broadcast the registry change of tenant {TenantId}", tenantId);
        }
    }
}
