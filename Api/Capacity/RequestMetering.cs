using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using TieredTenancy.Tenancy.Cache;
using TieredTenancy.Api.Tenants;

namespace TieredTenancy.Api.Capacity;

/// <summary>Counts each tenant request that passed its plan's limits, in memory (see <see cref="RequestCounts"/>).</summary>
public sealed class RequestMetering(RequestDelegate next, RequestCounts counts, AdmissionLog admissions)
{
    public Task InvokeAsync(HttpContext http)
    {
        if (http.RequestServices.GetRequiredService<RequestTenant>() is { IsResolved: true } tenant)
        {
            counts.Add(tenant.Tenant);
            admissions.Admitted(tenant.Tenant.Id);
        }
        return next(http);
    }
}

/// <summary>
/// Each replica's request counts per tenant and plan for the Provisioner's usage report (<c>t:{id}:requests:{yyyy-MM-dd}</c>,
/// a hash plan → requests): one pipelined write per active tenant a second instead of two Redis commands per request.
/// A count is lost only if the replica dies within that second (it writes once more when it stops).
/// </summary>
public sealed class RequestCounts(RedisCircuit redis, ILogger<RequestCounts> logger) : BackgroundService
{
    private static readonly TimeSpan Kept = TimeSpan.FromDays(35);
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<(Guid Tenant, string Plan), StrongBox<long>> _pending = new();

    // A box the flush has taken out of the dictionary: an increment that finds it went to a box nobody will read again.
    private const long Retired = long.MinValue;

    public void Add(ResolvedTenant tenant)
    {
        while (Interlocked.Increment(ref _pending.GetOrAdd((tenant.Id, tenant.Plan), static _ => new StrongBox<long>()).Value) <= 0)
        {
            // Retired between the lookup and the increment: counted again in the tenant's new box.
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushAsync();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await FlushAsync();
    }

    private async Task FlushAsync()
    {
        var day = $"{DateTime.UtcNow:yyyy-MM-dd}";
        var counts = new List<(string Hash, string Plan, long Requests)>();
        foreach (var (key, count) in _pending)
        {
            var requests = Interlocked.Exchange(ref count.Value, 0);
            if (requests == 0)
            {
                // Idle for a whole second: forgotten, so the dictionary holds the active tenants only.
                if (Interlocked.CompareExchange(ref count.Value, Retired, 0) == 0)
                {
                    _pending.TryRemove(new KeyValuePair<(Guid, string), StrongBox<long>>(key, count));
                    continue;
                }
                requests = Interlocked.Exchange(ref count.Value, 0);
            }
            counts.Add(($"t:{key.Tenant}:requests:{day}", key.Plan, requests));
        }
        if (counts.Count == 0)
        {
            return;
        }
        var written = await redis.CallAsync(database =>
        {
            var batch = database.CreateBatch();
            var writes = counts.SelectMany(count => new Task[] { batch.HashIncrementAsync(count.Hash, count.Plan, count.Requests), batch.KeyExpireAsync(count.Hash, Kept) })
                .ToList();
            batch.Execute();
            return Task.WhenAll(writes);
        });
        if (!written)
        {
            logger.LogWarning("Request counts of {Tenants} tenants could not be written to Redis; the usage report misses them", counts.Count);
        }
    }
}
