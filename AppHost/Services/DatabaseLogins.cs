using TieredTenancy.AppHost.Infrastructure;
using TieredTenancy.Tenancy.Hosting;

namespace TieredTenancy.AppHost.Services;

/// <summary>
/// Which login each service gets on which database. Only the bootstrap receives a server's
/// superuser; the services get the platform's roles it creates (see the README's security section).
/// </summary>
public static class DatabaseLogins
{
    /// <summary>The connection string named <paramref name="name"/>: <paramref name="role"/> on <paramref name="database"/> of <paramref name="server"/>.</summary>
    public static IResourceBuilder<ProjectResource> WithLogin(this IResourceBuilder<ProjectResource> service, string name,
        IResourceBuilder<IResourceWithConnectionString> server, string database, string role, IResourceBuilder<ParameterResource> password)
    {
        var endpoint = ((IResourceWithEndpoints)server.Resource).GetEndpoint("tcp");
        return service.WithEnvironment($"ConnectionStrings__{name}", ReferenceExpression.Create(
            $"Host={endpoint.Property(EndpointProperty.Host)};Port={endpoint.Property(EndpointProperty.Port)};Username={role};Password={password.Resource};Database={database}"));
    }

    /// <summary>The bootstrap: each server's superuser connection string, and the dedicated servers' names in order.</summary>
    public static IResourceBuilder<ProjectResource> WithServerSuperusers(this IResourceBuilder<ProjectResource> bootstrap, PlatformResources platform)
    {
        bootstrap.WithReference(platform.MainServer);
        for (var index = 0; index < platform.DedicatedServers.Count; index++)
        {
            bootstrap
                .WithReference(platform.DedicatedServers[index])
                .WithSetting(ServiceSettings.DedicatedServer(index), platform.DedicatedServers[index].Resource.Name);
        }
        return bootstrap;
    }

    /// <summary>The Provisioner administers the dedicated servers as its own role: a login on each server's maintenance database, and their names in order.</summary>
    public static IResourceBuilder<ProjectResource> WithDedicatedServerLogins(this IResourceBuilder<ProjectResource> provisioner,
        IReadOnlyList<IResourceBuilder<IResourceWithConnectionString>> servers, string role, IResourceBuilder<ParameterResource> password)
    {
        for (var index = 0; index < servers.Count; index++)
        {
            provisioner
                .WithLogin(servers[index].Resource.Name, servers[index], "postgres", role, password)
                .WithSetting(ServiceSettings.DedicatedServer(index), servers[index].Resource.Name);
        }
        return provisioner;
    }

    /// <summary>
    /// The Api reaches database-tier tenants with each tenant's own credentials: it gets the servers'
    /// addresses, not a login.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithDedicatedServerAddresses(this IResourceBuilder<ProjectResource> api,
        IReadOnlyList<IResourceBuilder<IResourceWithConnectionString>> servers)
    {
        foreach (var server in servers)
        {
            var endpoint = ((IResourceWithEndpoints)server.Resource).GetEndpoint("tcp");
            api.WithSetting(ServiceSettings.DedicatedServerAddress(server.Resource.Name),
                ReferenceExpression.Create($"Host={endpoint.Property(EndpointProperty.Host)};Port={endpoint.Property(EndpointProperty.Port)}"));
        }
        return api;
    }
}
