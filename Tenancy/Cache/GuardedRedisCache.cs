using System.Collections.Concurrent;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace TieredTenancy.Tenancy.Cache;

/// <summary>
/// HybridCache's second level (Redis) behind the <see cref="RedisCircuit"/>: a read that Redis does not answer in time is a
/// miss (the caller then reads the catalog), and a write or removal that does not reach it is kept, the last per key,
/// and replayed as soon as Redis answers again; until then a read of that key is answered from what was kept (a kept
/// removal is a miss). Removals matter most: an entry of a tenant suspended while Redis was paused must not come back
/// from it to a replica whose own copy is gone.
/// </summary>
public sealed class GuardedRedisCache(IOptions<RedisCacheOptions> options, RedisCircuit circuit, ILogger<GuardedRedisCache> logger)
    : IDistributedCache, IDisposable
{
    // Writes kept for replay at most; past it the oldest kind of loss is a fill, which the entry's expiry bounds.
    private const int MaxPending = 20_000;

    private readonly RedisCache _redis = new(options);
    private readonly ConcurrentDictionary<string, PendingWrite> _pending = new();
    private int _subscribed;
    private int _replaying;

    public byte[]? Get(string key) => GetAsync(key).AsTask().GetAwaiter().GetResult();

    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default) => await GetAsync(key).ConfigureAwait(false);

    private async ValueTask<byte[]?> GetAsync(string key)
    {
        Subscribe();
        if (_pending.TryGetValue(key, out var kept))
        {
            // Redis still holds what was there before: this replica's own later write (or removal) is the truth.
            return kept.Value;
        }
        var answer = await circuit.CallAsync(_ => _redis.GetAsync(key));
        Answered(answer.Answered);
        return answer.Answered ? answer.Value : null;
    }

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => SetAsync(key, value, options).GetAwaiter().GetResult();

    public async Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        Subscribe();
        var write = new PendingWrite(value, options);
        var taken = await circuit.CallAsync(_ => _redis.SetAsync(key, value, options));
        if (!taken)
        {
            Keep(key, write);
        }
        else
        {
            _pending.TryRemove(key, out _);
        }
        Answered(taken);
    }

    public void Refresh(string key) => RefreshAsync(key).GetAwaiter().GetResult();

    public async Task RefreshAsync(string key, CancellationToken token = default) => await circuit.CallAsync(_ => _redis.RefreshAsync(key));

    public void Remove(string key) => RemoveAsync(key).GetAwaiter().GetResult();

    public async Task RemoveAsync(string key, CancellationToken token = default)
    {
        Subscribe();
        var taken = await circuit.CallAsync(_ => _redis.RemoveAsync(key));
        if (!taken)
        {
            Keep(key, PendingWrite.Removal);
        }
        else
        {
            _pending.TryRemove(key, out _);
        }
        Answered(taken);
    }

    /// <summary>Writes that did not reach Redis and wait for it to answer again.</summary>
    public int Pending => _pending.Count;

    private void Keep(string key, PendingWrite write)
    {
        if (_pending.Count < MaxPending || write.IsRemoval)
        {
            _pending[key] = write;
        }
    }

    private void Subscribe()
    {
        if (Interlocked.Exchange(ref _subscribed, 1) == 0)
        {
            circuit.Restored += () => _ = ReplayAsync();
        }
    }

    // Redis answered a call: whatever it missed before (a failure that did not open the circuit, too) is replayed now.
    private void Answered(bool answered)
    {
        if (answered && !_pending.IsEmpty)
        {
            _ = ReplayAsync();
        }
    }

    private async Task ReplayAsync()
    {
        if (Interlocked.Exchange(ref _replaying, 1) == 1)
        {
            return;
        }
        try
        {
            await ReplayPendingAsync();
        }
        finally
        {
            Volatile.Write(ref _replaying, 0);
        }
    }

    private async Task ReplayPendingAsync()
    {
        var replayed = 0;
        foreach (var (key, write) in _pending)
        {
            // A newer write of this key reached Redis meanwhile, or replaced what was kept: not this one.
            if (!_pending.TryGetValue(key, out var current) || !ReferenceEquals(current, write))
            {
                continue;
            }
            var taken = write.IsRemoval
                ? await circuit.CallAsync(_ => _redis.RemoveAsync(key))
                : await circuit.CallAsync(_ => _redis.SetAsync(key, write.Value!, write.Options!));
            if (!taken)
            {
                // Away again: the next time it answers, the rest is replayed.
                break;
            }
            _pending.TryRemove(new KeyValuePair<string, PendingWrite>(key, write));
            replayed++;
        }
        logger.LogInformation("Replayed {Replayed} cache writes that Redis missed while it was away; {Left} left", replayed, _pending.Count);
    }

    public void Dispose() => _redis.Dispose();

    private sealed record PendingWrite(byte[]? Value, DistributedCacheEntryOptions? Options)
    {
        public static readonly PendingWrite Removal = new(null, null);

        public bool IsRemoval => Value is null;
    }
}
