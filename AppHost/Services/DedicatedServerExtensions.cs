using TieredTenancy.Tenancy.Hosting;

namespace TieredTenancy.AppHost.Services;

/// <summary>How each service sees the dedicated PostgreSQL servers that hold database-tier tenants.</summary>
public static class DedicatedServerExtensions
{
    /// <summary>The Provisioner administers them: each server's connection string (its admin login), and their names in order.</summary>
    public static IResourceBuilder<ProjectResource> WithDedicatedServerLogins(this IResourceBuilder<ProjectResource> provisioner,
        IReadOnlyList<IResourceBuilder<IResourceWithConnectionString>> servers)
    {
        for (var index = 0; index < servers.Count; index++)
        {
            provisioner
                .WithReference(servers[index])
                .WithSetting(ServiceSettings.DedicatedServer(index), servers[index].Resource.Name);
        }
        return provisioner;
    }

    /// <summary>
    /// The Api reaches database-tier tenants with each tenant's own credentials: it gets the servers'
    /// addresses, not their admin logins.
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
