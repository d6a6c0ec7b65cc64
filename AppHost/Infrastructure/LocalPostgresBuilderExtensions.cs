using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace TieredTenancy.AppHost.Infrastructure;

public static class LocalPostgresBuilderExtensions
{
    /// <summary>
    /// A PostgreSQL server from the machine's binaries: <c>initdb</c> on first start, then
    /// <c>postgres</c> in the foreground on the port Aspire allocates, bound to loopback only.
    /// </summary>
    public static IResourceBuilder<LocalPostgresServerResource> AddLocalPostgres(
        this IDistributedApplicationBuilder builder,
        string name,
        PostgresBinaries binaries,
        ServiceAccount? account,
        string dataRoot,
        bool ephemeral,
        IResourceBuilder<ParameterResource> password)
    {
        var dataDirectory = Path.Combine(dataRoot, name);
        var (command, leadingArguments) = account?.Wrap(binaries.Postgres) ?? (binaries.Postgres, []);
        var server = new LocalPostgresServerResource(name, command, dataRoot, password.Resource, dataDirectory);

        return builder.AddResource(server)
            .WithEndpoint(name: LocalPostgresServerResource.EndpointName, scheme: "tcp")
            .WithArgs(context =>
            {
                foreach (var argument in leadingArguments)
                {
                    context.Args.Add(argument);
                }
                context.Args.Add("-D");
                context.Args.Add(dataDirectory);
                context.Args.Add("-p");
                context.Args.Add(server.Endpoint.Property(EndpointProperty.TargetPort));
                foreach (var setting in ServerSettings(ephemeral))
                {
                    context.Args.Add("-c");
                    context.Args.Add(setting);
                }
            })
            .WithPostgresReadinessCheck(server.Databases)
            .OnBeforeResourceStarted(async (resource, _, cancellationToken) =>
            {
                var secret = await resource.Password.GetValueAsync(cancellationToken)
                    ?? throw new InvalidOperationException($"The password parameter of '{name}' has no value.");
                PostgresDataFolder.Prepare(binaries, account, dataDirectory, secret);
            })
            .ExcludeFromManifest();
    }

    public static IResourceBuilder<LocalPostgresDatabaseResource> AddLocalDatabase(
        this IResourceBuilder<LocalPostgresServerResource> server, string name, string? databaseName = null)
    {
        databaseName ??= name;
        server.Resource.Databases[name] = databaseName;
        var database = new LocalPostgresDatabaseResource(name, databaseName, server.Resource);
        // A database has no process of its own: it runs once its server is ready (which created it).
        server.OnResourceReady(async (_, @event, _) =>
            await @event.Services.GetRequiredService<ResourceNotificationService>().PublishUpdateAsync(database, snapshot => snapshot with
            {
                State = KnownResourceStates.Running,
                StartTimeStamp = DateTime.UtcNow,
            }));
        return server.ApplicationBuilder.AddResource(database)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "PostgresDatabase",
                State = KnownResourceStates.Waiting,
                Properties = [new("postgres.database", databaseName)],
            })
            .WithParentRelationship(server)
            .WithPostgresReadinessCheck(new Dictionary<string, string>())
            .ExcludeFromManifest();
    }

    private static IResourceBuilder<T> WithPostgresReadinessCheck<T>(this IResourceBuilder<T> builder, IReadOnlyDictionary<string, string> databasesToCreate)
        where T : IResourceWithConnectionString
    {
        var key = $"{builder.Resource.Name}-ready";
        var resource = builder.Resource;
        builder.ApplicationBuilder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            key, _ => new PostgresReadinessCheck(resource, databasesToCreate), failureStatus: null, tags: null));
        return builder.WithHealthCheck(key);
    }

    private static IEnumerable<string> ServerSettings(bool ephemeral)
    {
        // Loopback only; no Unix socket, so no shared socket folder to own or collide on.
        yield return "listen_addresses=localhost";
        yield return "unix_socket_directories=";
        // Two Api replicas and the Provisioner pool their connections; room for all of them plus tools.
        yield return "max_connections=300";
        if (ephemeral)
        {
            // Throwaway data: durability buys nothing and costs the tests time.
            yield return "fsync=off";
            yield return "synchronous_commit=off";
            yield return "full_page_writes=off";
        }
    }
}
