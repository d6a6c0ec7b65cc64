using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace TieredTenancy.AppHost.Infrastructure;

public static class LocalRedisBuilderExtensions
{
    /// <summary>redis-server on the port Aspire allocates: loopback only, password set, no persistence.</summary>
    public static IResourceBuilder<RedisServerProcessResource> AddLocalRedisServer(
        this IDistributedApplicationBuilder builder, string name, string redisServer, string dataRoot, IResourceBuilder<ParameterResource> password)
    {
        var workingDirectory = Path.Combine(dataRoot, name);
        var configFile = Path.Combine(workingDirectory, "redis.conf");
        var server = new RedisServerProcessResource(name, redisServer, workingDirectory, password.Resource);

        return builder.AddResource(server)
            .WithEndpoint(name: RedisServerProcessResource.EndpointName, scheme: "tcp")
            // The password goes in a private config file, not on the command line where any user's `ps` would show it.
            .WithArgs(context =>
            {
                context.Args.Add(configFile);
                context.Args.Add("--port");
                context.Args.Add(server.Endpoint.Property(EndpointProperty.TargetPort));
            })
            .WithRedisPingCheck()
            .OnBeforeResourceStarted(async (resource, _, cancellationToken) =>
            {
                var secret = await resource.Password.GetValueAsync(cancellationToken);
                Directory.CreateDirectory(workingDirectory);
                File.WriteAllText(configFile, string.Join('\n',
                    "bind 127.0.0.1 -::1",
                    "protected-mode yes",
                    $"requirepass \"{secret}\"",
                    "save \"\"",
                    "appendonly no",
                    $"dir \"{workingDirectory}\"",
                    "maxmemory 256mb",
                    "maxmemory-policy noeviction",
                    ""));
                FileModes.OwnerOnly(configFile);
            })
            .ExcludeFromManifest();
    }

    /// <summary>The embedded Garnet server, started with the application and disposed when it stops.</summary>
    public static IResourceBuilder<EmbeddedGarnetResource> AddEmbeddedGarnet(
        this IDistributedApplicationBuilder builder, string name, IResourceBuilder<ParameterResource> password)
    {
        var garnet = new EmbeddedGarnetResource(name, password.Resource);
        return builder.AddResource(garnet)
            // Started when the orchestrator initializes it, like any resource, so health monitoring sees it start.
            .OnInitializeResource(async (resource, @event, cancellationToken) =>
            {
                await @event.Notifications.PublishUpdateAsync(resource, snapshot => snapshot with { State = KnownResourceStates.Starting });
                await resource.StartAsync(cancellationToken);
                @event.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopped.Register(resource.Stop);
                await @event.Notifications.PublishUpdateAsync(resource, snapshot => snapshot with
                {
                    State = KnownResourceStates.Running,
                    StartTimeStamp = DateTime.UtcNow,
                    Properties = [.. snapshot.Properties, new("garnet.port", resource.Port)],
                });
            })
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "Garnet",
                State = KnownResourceStates.Starting,
                Properties = [],
            })
            .WithRedisPingCheck()
            .ExcludeFromManifest();
    }

    private static IResourceBuilder<T> WithRedisPingCheck<T>(this IResourceBuilder<T> builder) where T : IResourceWithConnectionString
    {
        var key = $"{builder.Resource.Name}-ping";
        var resource = builder.Resource;
        builder.ApplicationBuilder.Services.AddHealthChecks()
            .Add(new HealthCheckRegistration(key, _ => new RedisPingCheck(resource), failureStatus: null, tags: null));
        return builder.WithHealthCheck(key);
    }
}
