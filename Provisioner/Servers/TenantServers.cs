using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Npgsql;
using TieredTenancy.Tenancy.Storage;

namespace TieredTenancy.Provisioner.Servers;

/// <summary>
/// The PostgreSQL servers tenants live on, by Aspire resource name. Addresses come from the
/// connection strings Aspire injects at each start (ports change between runs), so the registry
/// stores server names, never addresses.
/// </summary>
public sealed class TenantServers(
    IConfiguration configuration,
    IOptions<TenantStorageOptions> options,
    [FromKeyedServices("tenants")] NpgsqlDataSource sharedDatabase) : IAsyncDisposable
{
    private readonly TenantStorageOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, NpgsqlDataSource> _dedicatedAdmin = new();

    public string SharedServer => _options.SharedServer;

    public string SharedDatabase => _options.SharedDatabase;

    public IReadOnlyList<string> DedicatedServers => _options.DedicatedServers;

    /// <summary>The shared tenant database, as the server's administrator.</summary>
    public string SharedDatabaseConnectionString => Required(_options.SharedDatabase);

    /// <summary>A pooled administrator connection to the shared tenant database (row and schema tenants).</summary>
    public async Task<NpgsqlConnection> ConnectSharedAsync(CancellationToken cancellationToken)
    {
        var connection = await sharedDatabase.OpenLiveConnectionAsync(cancellationToken);
        await SessionLabel.ApplyAsync(connection, cancellationToken);
        return connection;
    }

    /// <summary>A dedicated server, as its administrator (its maintenance database).</summary>
    public string DedicatedConnectionString(string server) =>
        DedicatedServers.Contains(server)
            ? Required(server)
            : throw new InvalidOperationException($"'{server}' is not a dedicated server of this deployment.");

    /// <summary>
    /// A pooled administrator connection to a dedicated server's maintenance database: creating a
    /// tenant database is a few statements there, and a fresh connection per tenant would cost more.
    /// </summary>
    public async Task<NpgsqlConnection> OpenDedicatedAdminAsync(string server, CancellationToken cancellationToken)
    {
        var connection = await DedicatedAdmin(server).OpenLiveConnectionAsync(cancellationToken);
        await SessionLabel.ApplyAsync(connection, cancellationToken);
        return connection;
    }

    /// <summary>The pool behind <see cref="OpenDedicatedAdminAsync"/>.</summary>
    public NpgsqlDataSource DedicatedAdmin(string server) =>
        _dedicatedAdmin.GetOrAdd(server, name =>
            NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(DedicatedConnectionString(name)) { Database = "postgres" }.ConnectionString));

    public async ValueTask DisposeAsync()
    {
        foreach (var dataSource in _dedicatedAdmin.Values)
        {
            await dataSource.DisposeAsync();
        }
    }

    private string Required(string name) =>
        configuration.GetConnectionString(name)
        ?? throw new InvalidOperationException($"ConnectionStrings:{name} is not configured; the AppHost provides it.");
}
