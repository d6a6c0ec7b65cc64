using Microsoft.Extensions.Options;

namespace TieredTenancy.Provisioner.Storage;

/// <summary>
/// The PostgreSQL servers tenants live on, by Aspire resource name. Addresses come from the
/// connection strings Aspire injects at each start (ports change between runs), so the registry
/// stores server names, never addresses.
/// </summary>
public sealed class TenantServers(IConfiguration configuration, IOptions<TenantStorageOptions> options)
{
    private readonly TenantStorageOptions _options = options.Value;

    public string SharedServer => _options.SharedServer;

    public string SharedDatabase => _options.SharedDatabase;

    public IReadOnlyList<string> DedicatedServers => _options.DedicatedServers;

    /// <summary>The shared tenant database, as the server's administrator.</summary>
    public string SharedDatabaseConnectionString => Required(_options.SharedDatabase);

    /// <summary>A dedicated server, as its administrator (its maintenance database).</summary>
    public string DedicatedConnectionString(string server) =>
        DedicatedServers.Contains(server)
            ? Required(server)
            : throw new InvalidOperationException($"'{server}' is not a dedicated server of this deployment.");

    private string Required(string name) =>
        configuration.GetConnectionString(name)
        ?? throw new InvalidOperationException($"ConnectionStrings:{name} is not configured; the AppHost provides it.");
}
