using System.Threading.RateLimiting;
using StackExchange.Redis;

namespace TieredTenancy.Api.RateLimits;

/// <summary>
/// One tenant's Redis token bucket, shared by every replica, taken in batches (what the replica's share of the rate brings
/// in 100 ms) and spent in memory, since Redis round trips per request were the largest part of what tenancy added to a read.
/// Unspent tokens are dropped after a second, never handed back, so the bucket may refuse early but never lets more through;
/// after a refusal the replica refuses locally until Redis said a token comes back.
/// </summary>
public sealed class SharedTokenBucket : RateLimiter
{
    private const long TokensKeptMilliseconds = 1_000;
    private const double BatchSeconds = 0.1;

    // Takes up to @wanted tokens from the bucket (@burst tokens at most, refilled at @perSecond, the
    // time as the replica's clock says it in ms); answers {granted, ms until one token is back}.
    private static readonly LuaScript Take = LuaScript.Prepare("""
        local burst = tonumber(@burst)
        local perSecond = tonumber(@perSecond)
        local now = tonumber(@now)
        local state = redis.call('HMGET', @key, 'tokens', 'at')
        local tokens = tonumber(state[1]) or burst
        local at = tonumber(state[2]) or now
        tokens = math.min(burst, tokens + math.max(0, now - at) * perSecond / 1000)
        local granted = math.min(tonumber(@wanted), math.floor(tokens))
        tokens = tokens - granted
        redis.call('HSET', @key, 'tokens', tostring(tokens), 'at', tostring(math.max(now, at)))
        redis.call('PEXPIRE', @key, math.ceil(burst * 1000 / perSecond) + 1000)
        local wait = 0
        if granted == 0 then wait = math.ceil((1 - tokens) * 1000 / perSecond) end
        return { granted, wait }
        """);

    private readonly object _gate = new();
    private readonly IConnectionMultiplexer _redis;
    private readonly RedisKey _key;
    private readonly int _burst;
    private readonly double _perSecond;
    private readonly int _batch;
    private readonly ILogger _logger;

    private int _tokens;
    private long _tokensExpireAt;
    private long _refusedUntil;
    private long _lastUsed = Environment.TickCount64;
    private Task? _taking;

    public SharedTokenBucket(IConnectionMultiplexer redis, string key, int requestsPerMinute, int burst, int replicas, ILogger logger)
    {
        _redis = redis;
        _key = key;
        _burst = burst;
        _perSecond = requestsPerMinute / 60.0;
        _logger = logger;
        // A tenth of a second of this replica's share of the rate, and never more than a quarter of its
        // share of the burst. With two replicas: free and pro 1, business 2, enterprise 10; hundreds for a
        // tenant at thousands a second.
        var share = _perSecond / replicas;
        _batch = (int)Math.Max(1, Math.Min(share * BatchSeconds, burst / (4.0 * replicas)));
    }

    public override TimeSpan? IdleDuration
    {
        get
        {
            lock (_gate)
            {
                return _taking is null ? TimeSpan.FromMilliseconds(Environment.TickCount64 - _lastUsed) : null;
            }
        }
    }

    public override RateLimiterStatistics? GetStatistics()
    {
        lock (_gate)
        {
            return new RateLimiterStatistics { CurrentAvailablePermits = Environment.TickCount64 < _tokensExpireAt ? _tokens : 0 };
        }
    }

    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        lock (_gate)
        {
            // Not decided here without Redis: the rate limiting middleware then calls AcquireAsync.
            return Spend(permitCount) ?? Leases.Undecided;
        }
    }

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        if (permitCount > _burst)
        {
            return Leases.Refused(TimeSpan.FromSeconds(60));
        }
        while (true)
        {
            Task taking;
            lock (_gate)
            {
                if (Spend(permitCount) is { } lease)
                {
                    return lease;
                }
                // One batch in flight per replica and tenant: concurrent requests wait for it rather than each draining the bucket.
                taking = _taking ??= TakeBatchAsync();
            }
            await taking.WaitAsync(cancellationToken);
        }
    }

    private RateLimitLease? Spend(int permits)
    {
        var now = Environment.TickCount64;
        _lastUsed = now;
        if (permits == 0 || (_tokens >= permits && now < _tokensExpireAt))
        {
            _tokens -= permits;
            return Leases.Granted;
        }
        return now < _refusedUntil ? Leases.Refused(TimeSpan.FromMilliseconds(_refusedUntil - now)) : null;
    }

    private async Task TakeBatchAsync()
    {
        // Never completes synchronously, so the caller has stored this task before it clears itself.
        await Task.Yield();
        // Whatever happens, the batch ends: a failure other than Redis's refuses for a second rather than leaving every later request waiting on it.
        var granted = 0;
        long wait = 1_000;
        try
        {
            var answer = (RedisResult[])(await Take.EvaluateAsync(_redis.GetDatabase(), new
            {
                key = _key,
                burst = _burst,
                perSecond = _perSecond,
                wanted = _batch,
                now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            }))!;
            granted = (int)answer[0];
            wait = (long)answer[1];
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            // Open rather than closed: without Redis the replica serves the tenant at its share of the rate.
            _logger.LogWarning(exception, "The request limits could not reach Redis; the replica spends one batch of {Batch} tokens of its own", _batch);
            granted = _batch;
        }
        finally
        {
            lock (_gate)
            {
                var now = Environment.TickCount64;
                if (granted > 0)
                {
                    _tokens = (now < _tokensExpireAt ? _tokens : 0) + granted;
                    _tokensExpireAt = now + TokensKeptMilliseconds;
                }
                else
                {
                    _refusedUntil = now + Math.Max(1, wait);
                }
                _taking = null;
            }
        }
    }

    private static class Leases
    {
        public static readonly RateLimitLease Granted = new Lease(true, null);
        public static readonly RateLimitLease Undecided = new Lease(false, null);

        public static RateLimitLease Refused(TimeSpan retryAfter) => new Lease(false, retryAfter);
    }

    private sealed class Lease(bool acquired, TimeSpan? retryAfter) : RateLimitLease
    {
        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames => retryAfter is null ? [] : [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = retryAfter;
            return retryAfter is not null && metadataName == MetadataName.RetryAfter.Name;
        }
    }
}
