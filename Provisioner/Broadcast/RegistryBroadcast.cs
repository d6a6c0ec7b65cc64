using StackExchange.Redis;
using TieredTenancy.Tenancy.Cache;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Broadcast;

/// <summary>
/// Tells every Api replica that a tenant's registry entry changed, so each drops its cached copy: on Redis, at once. The
/// catalog sends the same change itself when the transaction commits (<c>LISTEN/NOTIFY</c>, see <see cref="RegistryChanges"/>),
/// so a change still reaches every replica within a second when Redis is away, and the caller never waits on it for long.
/// </summary>
public sealed class RegistryBroadcast(RedisCircuit redis, ILogger<RegistryBroadcast> logger)
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
        var stamped = RegistryChanges.Stamped(message, DateTimeOffset.UtcNow);
        if (!(await redis.CallAsync(database => database.PublishAsync(RedisChannel.Literal(RegistryChanges.Channel), stamped))).Answered)
        {
            // The registry row is already committed, and the catalog's notification of it reaches every replica.
            logger.LogWarning("Could not broadcast the registry change {Change} on Redis; the catalog's notification carries it", message);
        }
    }
}
