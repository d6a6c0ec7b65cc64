using System.Collections.Concurrent;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using Npgsql;
using TieredTenancy.Api.Tenants;
using TieredTenancy.Tenancy.Registry;
using TieredTenancy.Tenancy.Storage;

namespace TieredTenancy.Api.Isolation;

/// <summary>
/// One small pool per database-tier tenant and placement epoch, built from the server's address
/// and the tenant's decrypted credentials. Pools unused for a while are closed, so hundreds of
/// tenants do not hold hundreds of idle pools; a new epoch (after a move) gets a new pool.
/// </summary>
public sealed class DedicatedDataSources : IAsyncDisposable
{
    private readonly ConcurrentDictionary<(Guid Tenant, long Epoch), Entry> _pools = new();
    private readonly TenantStorageOptions _options;
    private readonly IDataProtector _protector;
    private readonly Timer _sweeper;
    private List<NpgsqlDataSource> _retired = [];

    public DedicatedDataSources(IOptions<TenantStorageOptions> options, IDataProtectionProvider dataProtection)
    {
        _options = options.Value;
        _protector = dataProtection.CreateProtector(TenantConnectionProtection.Purpose);
        _sweeper = new Timer(_ => _ = CloseIdleAsync(), null, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30));
    }

    public NpgsqlDataSource For(ResolvedTenant tenant)
    {
        // A static factory with its argument: no closure allocated on the hit that nearly every request takes.
        var entry = _pools.GetOrAdd((tenant.Id, tenant.Placement.Epoch), static (_, build) => new Entry(build.Pools.Build(build.Tenant)), (Pools: this, Tenant: tenant));
        entry.LastUsed = Environment.TickCount64;
        return entry.DataSource;
    }

    private NpgsqlDataSource Build(ResolvedTenant tenant)
    {
        if (!_options.DedicatedServerAddresses.TryGetValue(tenant.Placement.Server, out var address))
        {
            throw new InvalidOperationException($"The address of dedicated server '{tenant.Placement.Server}' is not configured.");
        }
        var credentials = new NpgsqlConnectionStringBuilder(_protector.Unprotect(
            tenant.Placement.ProtectedConnectionString ?? throw new InvalidOperationException($"Tenant {tenant.Id} has no stored credentials.")));
        var connection = new NpgsqlConnectionStringBuilder(address)
        {
            Database = credentials.Database,
            Username = credentials.Username,
            Password = credentials.Password,
            MaxPoolSize = _options.DedicatedMaxPoolSize,
            ConnectionIdleLifetime = 60,
            MaxAutoPrepare = TenantStorageOptions.MaxAutoPrepare,
        };
        return NpgsqlDataSource.Create(connection.ConnectionString);
    }

    private async Task CloseIdleAsync()
    {
        // A request may have taken a pool just before it was retired: retired pools are disposed one sweep later.
        var retired = Interlocked.Exchange(ref _retired, []);
        foreach (var dataSource in retired)
        {
            await dataSource.DisposeAsync();
        }
        var cutoff = Environment.TickCount64 - (long)_options.DedicatedPoolIdleTimeout.TotalMilliseconds;
        var nowRetired = new List<NpgsqlDataSource>();
        foreach (var (key, entry) in _pools)
        {
            if (entry.LastUsed < cutoff && _pools.TryRemove(key, out _))
            {
                nowRetired.Add(entry.DataSource);
            }
        }
        Interlocked.Exchange(ref _retired, nowRetired);
    }

    public async ValueTask DisposeAsync()
    {
        await _sweeper.DisposeAsync();
        foreach (var dataSource in _pools.Values.Select(entry => entry.DataSource).Concat(_retired))
        {
            await dataSource.DisposeAsync();
        }
        _pools.Clear();
    }

    private sealed class Entry(NpgsqlDataSource dataSource)
    {
        public NpgsqlDataSource DataSource { get; } = dataSource;

        public long LastUsed { get; set; } = Environment.TickCount64;
    }
}
