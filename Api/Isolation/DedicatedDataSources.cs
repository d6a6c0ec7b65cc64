using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using Npgsql;
using TieredTenancy.Api.Tenants;
using TieredTenancy.Tenancy.Registry;
using TieredTenancy.Tenancy.Storage;

namespace TieredTenancy.Api.Isolation;

/// <summary>
/// One small pool per database-tier tenant, placement epoch and login, within the <see cref="DedicatedConnectionBudget"/>:
/// when a server's share is spent, the least recently used idle pool is closed for the new one. A registry change
/// retires the tenant's pools at once, so a rotated-away login's idle connections close and its rotation can drain.
/// </summary>
public sealed class DedicatedDataSources : IAsyncDisposable, IRegistryEntryHolder
{
    // Waiters look again this often: a request ends every few milliseconds under load, and a 20 ms poll costs nothing measurable.
    private static readonly TimeSpan WaitPoll = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan BackendExit = TimeSpan.FromMilliseconds(50);
    private readonly object _gate = new();
    private readonly Dictionary<(Guid Tenant, long Epoch, string? Login), Pool> _pools = new();
    private readonly Queue<(NpgsqlDataSource DataSource, long RetiredAt)> _retired = new();
    private readonly TenantStorageOptions _options;
    private readonly DedicatedConnectionBudget _budget;
    private readonly IDataProtector _protector;

    public DedicatedDataSources(IOptions<TenantStorageOptions> options, DedicatedConnectionBudget budget, IDataProtectionProvider dataProtection)
    {
        _options = options.Value;
        _budget = budget;
        _protector = dataProtection.CreateProtector(TenantConnectionProtection.Purpose);
    }

    /// <summary>
    /// Enters the tenant's pool for one request, so it may open a connection within the share; disposing the lease leaves.
    /// Throws <see cref="ConnectionBudgetExhaustedException"/> when no connection of the share frees up within the wait.
    /// </summary>
    public async ValueTask<IAsyncDisposable> EnterAsync(ResolvedTenant tenant, CancellationToken cancellationToken)
    {
        var deadline = Environment.TickCount64 + (long)_budget.Wait.TotalMilliseconds;
        var evicted = new List<NpgsqlDataSource>();
        try
        {
            while (true)
            {
                Pool? entered;
                lock (_gate)
                {
                    entered = TryEnter(tenant, evicted);
                }
                if (evicted.Count > 0)
                {
                    foreach (var dataSource in evicted)
                    {
                        await dataSource.DisposeAsync();
                    }
                    evicted.Clear();
                    // The closed connections' backends exit a moment after their Terminate message: opening the new one at once
                    // could let the server count one backend over the budget.
                    await Task.Delay(BackendExit, cancellationToken);
                }
                if (entered is not null)
                {
                    return new Lease(this, entered);
                }
                if (Environment.TickCount64 >= deadline)
                {
                    throw new ConnectionBudgetExhaustedException(tenant.Placement.Server, _budget.Share, _budget.Wait);
                }
                await Task.Delay(WaitPoll, cancellationToken);
            }
        }
        finally
        {
            foreach (var dataSource in evicted)
            {
                await dataSource.DisposeAsync();
            }
        }
    }

    /// <summary>The tenant's pool; a request has entered it (<see cref="EnterAsync"/>), so it is not closed under the request.</summary>
    public NpgsqlDataSource For(ResolvedTenant tenant)
    {
        lock (_gate)
        {
            // Normally the pool the request entered; after a move or a rotation the retried request
            // reaches its new pool here, which then starts with the one connection of this request.
            var pool = PoolOf(tenant);
            if (pool.Permits == 0)
            {
                pool.Permits = 1;
                _budget.Take(pool.Server);
            }
            return pool.DataSource;
        }
    }

    /// <summary>Retires every pool of a tenant whose registry entry changed: idle connections close now, busy ones when their request ends.</summary>
    public void Retire(Guid tenantId)
    {
        lock (_gate)
        {
            foreach (var key in _pools.Keys.Where(key => key.Tenant == tenantId).ToList())
            {
                RetireLocked(key);
            }
        }
    }

    void IRegistryEntryHolder.Drop(Guid tenantId) => Retire(tenantId);

    /// <summary>Disposes the pools retired longer than <paramref name="retiredBefore"/> ago and closes those idle past their timeout.</summary>
    internal async Task CloseIdleAsync(TimeSpan retiredBefore)
    {
        var dispose = new List<NpgsqlDataSource>();
        lock (_gate)
        {
            var disposeBefore = Environment.TickCount64 - (long)retiredBefore.TotalMilliseconds;
            while (_retired.TryPeek(out var retired) && retired.RetiredAt < disposeBefore)
            {
                dispose.Add(_retired.Dequeue().DataSource);
            }
            var cutoff = Environment.TickCount64 - (long)_options.DedicatedPoolIdleTimeout.TotalMilliseconds;
            foreach (var (key, pool) in _pools.Where(entry => entry.Value.InFlight == 0 && entry.Value.LastUsed < cutoff).ToList())
            {
                _pools.Remove(key);
                Release(pool);
                dispose.Add(pool.DataSource);
            }
        }
        foreach (var dataSource in dispose)
        {
            await dataSource.DisposeAsync();
        }
    }

    private Pool? TryEnter(ResolvedTenant tenant, List<NpgsqlDataSource> evicted)
    {
        var pool = PoolOf(tenant);
        pool.LastUsed = Environment.TickCount64;
        // A pool needs a permit per connection it may open (Npgsql opens one only when every open one is busy):
        // as many as its requests in flight, up to its maximum size.
        if (pool.InFlight < pool.Permits || pool.Permits >= _budget.MaxPerPool)
        {
            pool.InFlight++;
            return pool;
        }
        while (_budget.IsSpent(pool.Server))
        {
            (Guid, long, string?)? idlest = null;
            foreach (var (key, candidate) in _pools)
            {
                if (candidate.Server == pool.Server && candidate.InFlight == 0 && candidate != pool && candidate.Permits > 0
                    && (idlest is null || candidate.LastUsed < _pools[idlest.Value].LastUsed))
                {
                    idlest = key;
                }
            }
            if (idlest is null)
            {
                return null;
            }
            var closing = _pools[idlest.Value];
            _pools.Remove(idlest.Value);
            Release(closing);
            evicted.Add(closing.DataSource);
        }
        pool.Permits++;
        _budget.Take(pool.Server);
        pool.InFlight++;
        return pool;
    }

    private void Leave(Pool pool)
    {
        lock (_gate)
        {
            pool.InFlight--;
            pool.LastUsed = Environment.TickCount64;
            if (pool.Retired && pool.InFlight == 0)
            {
                Release(pool);
            }
        }
    }

    private Pool PoolOf(ResolvedTenant tenant)
    {
        var key = (tenant.Id, tenant.Placement.Epoch, tenant.Placement.Role);
        if (!_pools.TryGetValue(key, out var pool))
        {
            pool = new Pool(tenant.Placement.Server, Build(tenant));
            _pools[key] = pool;
        }
        return pool;
    }

    private void RetireLocked((Guid, long, string?) key)
    {
        var pool = _pools[key];
        _pools.Remove(key);
        pool.Retired = true;
        // Clear closes the idle connections now and the busy ones as their requests return them.
        pool.DataSource.Clear();
        if (pool.InFlight == 0)
        {
            Release(pool);
        }
        _retired.Enqueue((pool.DataSource, Environment.TickCount64));
    }

    private void Release(Pool pool)
    {
        _budget.Return(pool.Server, pool.Permits);
        pool.Permits = 0;
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
            MaxPoolSize = _budget.MaxPerPool,
            // Connections stay open while their pool lives: the pool is what holds the permits, and closes as a whole.
            ConnectionIdleLifetime = (int)_options.DedicatedPoolIdleTimeout.TotalSeconds + 60,
            MaxAutoPrepare = TenantStorageOptions.MaxAutoPrepare,
            NoResetOnClose = TenantStorageOptions.NoResetOnClose,
        };
        return NpgsqlDataSource.Create(connection.ConnectionString);
    }

    public async ValueTask DisposeAsync()
    {
        List<NpgsqlDataSource> all;
        lock (_gate)
        {
            all = _pools.Values.Select(pool => pool.DataSource).Concat(_retired.Select(retired => retired.DataSource)).ToList();
            _pools.Clear();
            _retired.Clear();
        }
        foreach (var dataSource in all)
        {
            await dataSource.DisposeAsync();
        }
    }

    private sealed class Pool(string server, NpgsqlDataSource dataSource)
    {
        public string Server { get; } = server;

        public NpgsqlDataSource DataSource { get; } = dataSource;

        public long LastUsed { get; set; } = Environment.TickCount64;

        public int InFlight { get; set; }

        public int Permits { get; set; }

        public bool Retired { get; set; }
    }

    private sealed class Lease(DedicatedDataSources owner, Pool pool) : IAsyncDisposable
    {
        private int _left;

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _left, 1) == 0)
            {
                owner.Leave(pool);
            }
            return ValueTask.CompletedTask;
        }
    }
}
