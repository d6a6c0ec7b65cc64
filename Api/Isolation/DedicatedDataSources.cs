using System.Collections.Concurrent;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using Npgsql;
using TieredTenancy.Api.Tenants;
using TieredTenancy.Tenancy.Registry;
using TieredTenancy.Tenancy.Storage;

namespace TieredTenancy.Api.Isolation;

/// <summary>
/// One small pool per database-tier tenant, placement epoch and login, built from the server's
/// address and the tenant's decrypted credentials. Pools unused for a while are closed, so hundreds
/// of tenants do not hold hundreds of idle pools; a new epoch (after a move) or a new login (after
/// a credential rotation) gets a new pool, and a registry change of the tenant retires its pools at
/// once, so the old login's idle connections close within milliseconds and its rotation can drain.
/// </summary>
public sealed class DedicatedDataSources : IAsyncDisposable
{
    private static readonly TimeSpan SweepPeriod = TimeSpan.FromSeconds(30);
    private readonly ConcurrentDictionary<(Guid Tenant, long Epoch, string? Login), Entry> _pools = new();
    private readonly ConcurrentQueue<(NpgsqlDataSource DataSource, long RetiredAt)> _retired = new();
    private readonly TenantStorageOptions _options;
    private readonly IDataProtector _protector;
    private readonly Timer _sweeper;

    public DedicatedDataSources(IOptions<TenantStorageOptions> options, IDataProtectionProvider dataProtection)
    {
        _options = options.Value;
        _protector = dataProtection.CreateProtector(TenantConnectionProtection.Purpose);
        _sweeper = new Timer(_ => _ = CloseIdleAsync(), null, SweepPeriod, SweepPeriod);
    }

    public NpgsqlDataSource For(ResolvedTenant tenant)
    {
        // A static factory with its argument: no closure allocated on the hit that nearly every request takes.
        var entry = _pools.GetOrAdd((tenant.Id, tenant.Placement.Epoch, tenant.Placement.Role),
            static (_, build) => new Entry(build.Pools.Build(build.Tenant)), (Pools: this, Tenant: tenant));
        entry.LastUsed = Environment.TickCount64;
        return entry.DataSource;
    }

    /// <summary>Retires every pool of a tenant whose registry entry changed: idle connections close now, busy ones when their request ends.</summary>
    public void Retire(Guid tenantId)
    {
        foreach (var key in _pools.Keys)
        {
            if (key.Tenant == tenantId && _pools.TryRemove(key, out var entry))
            {
                Retire(entry.DataSource);
            }
        }
    }

    private void Retire(NpgsqlDataSource dataSource)
    {
        dataSource.Clear();
        _retired.Enqueue((dataSource, Environment.TickCount64));
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
        // A request may have taken a pool just before it was retired: retired pools are disposed a sweep later.
        var disposeBefore = Environment.TickCount64 - (long)SweepPeriod.TotalMilliseconds / 2;
        while (_retired.TryPeek(out var retired) && retired.RetiredAt < disposeBefore && _retired.TryDequeue(out retired))
        {
            await retired.DataSource.DisposeAsync();
        }
        var cutoff = Environment.TickCount64 - (long)_options.DedicatedPoolIdleTimeout.TotalMilliseconds;
        foreach (var (key, entry) in _pools)
        {
            if (entry.LastUsed < cutoff && _pools.TryRemove(key, out _))
            {
                Retire(entry.DataSource);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _sweeper.DisposeAsync();
        foreach (var dataSource in _pools.Values.Select(entry => entry.DataSource).Concat(_retired.Select(retired => retired.DataSource)))
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
