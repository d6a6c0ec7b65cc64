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
public sealed class GuardedRedisCache : IDistributedCache, IDisposable
{
    // Writes kept for replay at most; past it the oldest kind of loss is a fill, which the entry's expiry bounds.
    private const int MaxPending = 20_000;

    private readonly RedisCache _redis;
    private readonly RedisCircuit _circuit;
    private readonly ILogger<GuardedRedisCache> _logger;
    private readonly ConcurrentDictionary<string, PendingWrite> _pending = new();
    private int _replaying;

    public GuardedRedisCache(IOptions<RedisCacheOptions> options, RedisCircuit circuit, ILogger<GuardedRedisCache> logger)
    {
        _redis = new RedisCache(options);
        _circuit = circuit;
        _logger = logger;
        // The replay starts whenever the circuit closes again, and after any answered call (a failure that did not open it, too).
        circuit.Restored += () => _ = ReplayAsync();
    }

    public byte[]? Get(string key) => GetAsync(key).AsTask().GetAwaiter().GetResult();

    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default) => await GetAsync(key).ConfigureAwait(false);

    private async ValueTask<byte[]?> GetAsync(string key)
    {
        if (_pending.TryGetValue(key, out var kept))
        {
            // Redis still holds what was there before: this replica's own later write (or removal) is the truth.
            return kept.Value;
        }
        var answer = await _circuit.CallAsync(_ => _redis.GetAsync(key));
        Answered(answer.Answered);
        return answer.Answered ? answer.Value : null;
    }

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => SetAsync(key, value, options).GetAwaiter().GetResult();

    public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default) =>
        WriteAsync(key, new PendingWrite(value, options));

    public void Refresh(string key) => RefreshAsync(key).GetAwaiter().GetResult();

    public async Task RefreshAsync(string key, CancellationToken token = default) => await _circuit.CallAsync(_ => _redis.RefreshAsync(key));

    public void Remove(string key) => RemoveAsync(key).GetAwaiter().GetResult();

    public Task RemoveAsync(string key, CancellationToken token = default) => WriteAsync(key, PendingWrite.Removal);

    // A write or removal Redis took clears what was kept of the key; one it missed is kept for the replay.
    private async Task WriteAsync(string key, PendingWrite write)
    {
        var taken = await _circuit.CallAsync(_ => Send(key, write));
        if (taken)
        {
            _pending.TryRemove(key, out _);
        }
        else if (_pending.Count < MaxPending || write.IsRemoval)
        {
            _pending[key] = write;
        }
        Answered(taken);
    }

    private Task Send(string key, PendingWrite write) => write.IsRemoval ? _redis.RemoveAsync(key) : _redis.SetAsync(key, write.Value!, write.Options!);

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
            if (!await _circuit.CallAsync(_ => Send(key, write)))
            {
                // Away again: the next time it answers, the rest is replayed.
                break;
            }
            _pending.TryRemove(new KeyValuePair<string, PendingWrite>(key, write));
            replayed++;
        }
        _logger.LogInformation("Replayed {Replayed} cache writes that Redis missed while it was away; {Left} left", replayed, _pending.Count);
    }

    public void Dispose() => _redis.Dispose();

    private sealed record PendingWrite(byte[]? Value, DistributedCacheEntryOptions? Options)
    {
        public static readonly PendingWrite Removal = new(null, null);

        public bool IsRemoval => Value is null;
    }
}
