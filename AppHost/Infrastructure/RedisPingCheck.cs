using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace TieredTenancy.AppHost.Infrastructure;

/// <summary>Ready means an authenticated PING round trip succeeds.</summary>
public sealed class RedisPingCheck(IResourceWithConnectionString server) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var connectionString = await server.ConnectionStringExpression.GetValueAsync(cancellationToken);
            var options = ConfigurationOptions.Parse(connectionString!);
            options.AbortOnConnectFail = true;
            options.ConnectTimeout = 2000;
            await using var connection = await ConnectionMultiplexer.ConnectAsync(options);
            await connection.GetDatabase().PingAsync();
            return HealthCheckResult.Healthy();
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy($"Redis server '{server.Name}' does not answer yet.", exception);
        }
    }
}
