using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using Npgsql;
using TieredTenancy.Api.Tenants;
using TieredTenancy.Tenancy.Capacity;
using TieredTenancy.Tenancy.Registry;
using TieredTenancy.Tenancy.Storage;

namespace TieredTenancy.Api.Isolation;

/// <summary>
/// One small pool per database-tier tenant, placement epoch and login, built from the server's
/// address and the tenant's decrypted credentials, within this replica's share of each dedicated
/// server's connection budget (<see cref="CapacityOptions.DedicatedConnectionBudget"/> split evenly
/// between the replicas). A request of a database tenant enters its pool first
/// (<see cref="EnterAsync"/>): a pool holds one permit of its server's share for each connection
/// it may have open (Npgsql opens one only when every open one is busy, so a pool never has more
/// than the most requests it served at once, up to its maximum size). When the share is used up, the
/// least recently used pool with no request in flight is closed and its permits taken; when every
/// pool is busy, the request waits, and after <see cref="CapacityOptions.ConnectionWait"/> it gives up.
/// A new epoch (after a move) or a new login (after a credential rotation) gets a new pool, and a
/// registry change of the tenant retires its pools at once, so the old login's idle connections close
/// within milliseconds and its rotation can drain; a retired pool's permits return when its last
/// request ends. Pools unused for a while are closed too.
/// </summary>
public sealed class DedicatedDataSources : IAsyncDisposable
{
    private static readonly TimeSpan SweepPeriod = TimeSpan.FromSeconds(30);
    // Waiters look again this often: a request ends every few milliseconds under load, and a 20 ms poll costs nothing measurable.
    private static readonly TimeSpan WaitPoll = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan BackendExit = TimeSpan.FromMilliseconds(50);
    private readonly object _gate = new();
    private readonly Dictionary<(Guid Tenant, long Epoch, string? Login), Pool> _pools = new();
    private readonly Dictionary<string, int> _permitsHeld = new();
    private readonly Queue<(NpgsqlDataSource DataSource, long RetiredAt)> _retired = new();
    private readonly TenantStorageOptions _options;
    private readonly CapacityOptions _capacity;
    private readonly IDataProtector _protector;
    private readonly Timer _sweeper;

    public DedicatedDataSources(IOptions<TenantStorageOptions> options, IOptions<CapacityOptions> capacity, IDataProtectionProvider dataProtection)
    {
        _options = options.Value;
        _capacity = capacity.Value;
        _protector = dataProtection.CreateProtector(TenantConnectionProtection.Purpose);
        _sweeper = new Timer(_ => _ = CloseIdleAsync(), null, SweepPeriod, SweepPeriod);
    }

    /// <summary>
    /// This replica's share of each dedicated server's connection budget, less one connection kept for
    /// the backends of pools it just closed: they exit a moment after their Terminate message, and on
    /// a loaded machine later than the wait after an eviction (the server counted one over in a test run).
    /// </summary>
    public int Share => Math.Max(1, _capacity.DedicatedConnectionBudget / _capacity.ApiReplicas - ExitingHeadroom);

    private const int ExitingHeadroom = 1;

    /// <summary>Connections one tenant pool may open: its configured size, within the share.</summary>
    private int MaxPerPool => Math.Min(_options.DedicatedMaxPoolSize, Share);

    /// <summary>Connections this replica may have open to <paramref name="server"/> now (permits held by its pools).</summary>
    public int PermitsHeld(string server)
    {
        lock (_gate)
        {
            return _permitsHeld.GetValueOrDefault(server);
        }
    }

    /// <summary>
    /// Enters the tenant's pool for one request: the pool may then open a connection within the
    /// server's share. Disposing the lease leaves. Throws <see cref="ConnectionBudgetExhaustedException"/>
    /// when no connection of the share frees up within the wait.
    /// </summary>
    public async ValueTask<IAsyncDisposable> EnterAsync(ResolvedTenant tenant, CancellationToken cancellationToken)
    {
        var deadline = Environment.TickCount64 + (long)_capacity.ConnectionWait.TotalMilliseconds;
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
                    // The closed connections' backends exit a moment after their Terminate message: opening
                    // the new one at once, or 10 ms later, let the server count one backend over the budget in the tests; 50 ms did not.
                    await Task.Delay(BackendExit, cancellationToken);
                }
                if (entered is not null)
                {
                    return new Lease(this, entered);
                }
                if (Environment.TickCount64 >= deadline)
                {
                    throw new ConnectionBudgetExhaustedException(tenant.Placement.Server, Share, _capacity.ConnectionWait);
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
                _permitsHeld[pool.Server] = _permitsHeld.GetValueOrDefault(pool.Server) + 1;
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

    private Pool? TryEnter(ResolvedTenant tenant, List<NpgsqlDataSource> evicted)
    {
        var pool = PoolOf(tenant);
        pool.LastUsed = Environment.TickCount64;
        // A pool needs a permit per connection it may open: as many as its requests in flight, up to its maximum size.
        if (pool.InFlight < pool.Permits || pool.Permits >= MaxPerPool)
        {
            pool.InFlight++;
            return pool;
        }
        while (_permitsHeld.GetValueOrDefault(pool.Server) >= Share)
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
        _permitsHeld[pool.Server] = _permitsHeld.GetValueOrDefault(pool.Server) + 1;
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
        _permitsHeld[pool.Server] -= pool.Permits;
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
            MaxPoolSize = MaxPerPool,
            // Connections stay open while their pool lives: the pool is what holds the permits, and closes as a whole.
            ConnectionIdleLifetime = (int)_options.DedicatedPoolIdleTimeout.TotalSeconds + 60,
            MaxAutoPrepare = TenantStorageOptions.MaxAutoPrepare,
            NoResetOnClose = TenantStorageOptions.NoResetOnClose,
        };
        return NpgsqlDataSource.Create(connection.ConnectionString);
    }

    private async Task CloseIdleAsync()
    {
        var dispose = new List<NpgsqlDataSource>();
        lock (_gate)
        {
            // A request may have taken a pool just before it was retired: retired pools are disposed a sweep later.
            var disposeBefore = Environment.TickCount64 - (long)SweepPeriod.TotalMilliseconds / 2;
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

    public async ValueTask DisposeAsync()
    {
        await _sweeper.DisposeAsync();
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

/// <summary>No connection of this replica's share of a dedicated server freed up within the wait: the request answers 503 and may be retried.</summary>
public sealed class ConnectionBudgetExhaustedException(string server, int share, TimeSpan wait)
    : Exception($"Every connection of this replica's share ({share}) of server '{server}' stayed busy for {wait.TotalSeconds:0.#} s.");
