using Microsoft.Extensions.Options;
using TieredTenancy.Tenancy.Capacity;
using TieredTenancy.Tenancy.Storage;

namespace TieredTenancy.Api.Isolation;

/// <summary>
/// The share of each dedicated server's connection budget this replica may use, and the permits its
/// pools hold of it (one per connection a pool may open), so the replicas together stay within the budget.
/// </summary>
public sealed class DedicatedConnectionBudget(IOptions<CapacityOptions> capacity, IOptions<TenantStorageOptions> storage)
{
    // Backends of a just-closed pool exit a moment after their Terminate message, on a loaded machine later than the wait after an eviction.
    private const int ExitingHeadroom = 1;
    private readonly CapacityOptions _capacity = capacity.Value;
    private readonly TenantStorageOptions _storage = storage.Value;
    private readonly Dictionary<string, int> _permitsHeld = new();

    /// <summary>The budget split evenly between the replicas, less one connection kept for backends still exiting.</summary>
    public int Share => Math.Max(1, _capacity.DedicatedConnectionBudget / _capacity.ApiReplicas - ExitingHeadroom);

    /// <summary>Connections one tenant pool may open: its configured size, within the share.</summary>
    public int MaxPerPool => Math.Min(_storage.DedicatedMaxPoolSize, Share);

    /// <summary>How long a request waits for a connection of the share before it gives up.</summary>
    public TimeSpan Wait => _capacity.ConnectionWait;

    /// <summary>Connections this replica may have open to <paramref name="server"/> now (permits held by its pools).</summary>
    public int PermitsHeld(string server)
    {
        lock (_permitsHeld)
        {
            return _permitsHeld.GetValueOrDefault(server);
        }
    }

    public bool IsSpent(string server) => PermitsHeld(server) >= Share;

    public void Take(string server)
    {
        lock (_permitsHeld)
        {
            _permitsHeld[server] = _permitsHeld.GetValueOrDefault(server) + 1;
        }
    }

    public void Return(string server, int permits)
    {
        lock (_permitsHeld)
        {
            _permitsHeld[server] -= permits;
        }
    }
}

/// <summary>No connection of this replica's share of a dedicated server freed up within the wait: the request answers 503 and may be retried.</summary>
public sealed class ConnectionBudgetExhaustedException(string server, int share, TimeSpan wait)
    : Exception($"Every connection of this replica's share ({share}) of server '{server}' stayed busy for {wait.TotalSeconds:0.#} s.");
