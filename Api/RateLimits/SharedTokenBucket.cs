using System.Threading.RateLimiting;
using StackExchange.Redis;
using TieredTenancy.Tenancy.Cache;

namespace TieredTenancy.Api.RateLimits;

/// <summary>
/// One tenant's Redis token bucket, shared by every replica, taken in batches (what the replica's share of the rate brings
/// in 100 ms, or as many as requests wait for) and spent in memory, since Redis round trips per request were the largest part
/// of what tenancy added to a read.
/// Unspent tokens are dropped after a second, never handed back, so the bucket may refuse early but never lets more through;
/// after a refusal the replica refuses locally until Redis said a token comes back. While Redis does not answer (the
/// <see cref="RedisCircuit"/>), the replica admits its own share of the rate and burst from a local bucket, and takes what
/// it spent so from the shared bucket once Redis answers again, so the outage lets no more through than the plan.
/// </summary>
public sealed class SharedTokenBucket : RateLimiter
{
    private const long TokensKeptMilliseconds = 1_000;
    private const double BatchSeconds = 0.1;

    // Takes up to @wanted tokens from the bucket (@burst tokens at most, refilled at @perSecond, the
    // time as the replica's clock says it in ms) after the @owed ones the replica spent while Redis was away;
    // answers {granted, ms until one token is back}.
    private static readonly LuaScript Take = LuaScript.Prepare("""
        local burst = tonumber(@burst)
        local perSecond = tonumber(@perSecond)
        local now = tonumber(@now)
        local state = redis.call('HMGET', @key, 'tokens', 'at')
        local tokens = tonumber(state[1]) or burst
        local at = tonumber(state[2]) or now
        tokens = math.min(burst, tokens + math.max(0, now - at) * perSecond / 1000)
        tokens = math.max(0, tokens - tonumber(@owed))
        local granted = math.min(tonumber(@wanted), math.floor(tokens))
        tokens = tokens - granted
        redis.call('HSET', @key, 'tokens', tostring(tokens), 'at', tostring(math.max(now, at)))
        redis.call('PEXPIRE', @key, math.ceil(burst * 1000 / perSecond) + 1000)
        local wait = 0
        if granted == 0 then wait = math.ceil((1 - tokens) * 1000 / perSecond) end
        return { granted, wait }
        """);

    // How long a replica admits from its own share after Redis failed it, before asking Redis again (its circuit decides how fast that fails).
    private const long LocalMilliseconds = 1_000;

    private readonly object _gate = new();
    private readonly RedisCircuit _redis;
    private readonly TokenBucketRateLimiter _localShare;
    private readonly RedisKey _key;
    private readonly int _burst;
    private readonly double _perSecond;
    private readonly int _batch;
    private readonly int _replicas;
    private readonly ILogger _logger;

    private int _tokens;
    private long _tokensExpireAt;
    private long _refusedUntil;
    private long _lastUsed = Environment.TickCount64;
    private long _localUntil;
    private int _owed;
    private int _waitingPermits;
    private Task? _taking;

    public SharedTokenBucket(RedisCircuit redis, string key, int requestsPerMinute, int burst, int replicas, ILogger logger)
    {
        _redis = redis;
        _key = key;
        _burst = burst;
        _perSecond = requestsPerMinute / 60.0;
        _logger = logger;
        _replicas = replicas;
        // A tenth of a second of this replica's share of the rate, and never more than a quarter of its
        // share of the burst. With two replicas: free and pro 1, business 2, enterprise 10; hundreds for a
        // tenant at thousands a second.
        var share = _perSecond / replicas;
        _batch = (int)Math.Max(1, Math.Min(share * BatchSeconds, burst / (4.0 * replicas)));
        // The replica's share while Redis is away: tokens come back in whole numbers, so the period is what brings that many.
        // Replenished on use, not by a timer per tenant.
        var tokensPerPeriod = (int)Math.Max(1, Math.Round(share * BatchSeconds));
        _localShare = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(1, burst / replicas),
            TokensPerPeriod = tokensPerPeriod,
            ReplenishmentPeriod = TimeSpan.FromSeconds(tokensPerPeriod / share),
            QueueLimit = 0,
            AutoReplenishment = false,
        });
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
        var waiting = false;
        try
        {
            while (true)
            {
                Task taking;
                lock (_gate)
                {
                    if (Spend(permitCount) is { } lease)
                    {
                        return lease;
                    }
                    if (!waiting)
                    {
                        waiting = true;
                        _waitingPermits += permitCount;
                    }
                    // One batch in flight per replica and tenant: concurrent requests wait for it rather than each draining the bucket.
                    taking = _taking ??= TakeBatchAsync();
                }
                await taking.WaitAsync(cancellationToken);
            }
        }
        finally
        {
            if (waiting)
            {
                lock (_gate)
                {
                    _waitingPermits -= permitCount;
                }
            }
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
        if (now < _localUntil)
        {
            _localShare.TryReplenish();
            using var local = _localShare.AttemptAcquire(permits);
            if (local.IsAcquired)
            {
                _owed = Math.Min(_burst, _owed + permits);
                return Leases.Granted;
            }
            return Leases.Refused(local.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1));
        }
        return now < _refusedUntil ? Leases.Refused(TimeSpan.FromMilliseconds(_refusedUntil - now)) : null;
    }

    private async Task TakeBatchAsync()
    {
        // Never completes synchronously, so the caller has stored this task before it clears itself.
        await Task.Yield();
        int owed, wanted;
        lock (_gate)
        {
            owed = _owed;
            // At least a batch, and as many as requests wait for: when a round trip is slow (a loaded machine), more
            // requests queue behind it, and a fixed batch per round trip would admit fewer than the plan allows.
            wanted = Math.Clamp(_waitingPermits, _batch, Math.Max(_batch, _burst / _replicas));
        }
        // Whatever happens, the batch ends: a failure the circuit does not know refuses for a second rather than leaving every later request waiting on it.
        var answer = new RedisAnswer<RedisResult[]>(true, [RedisResult.Create((RedisValue)0), RedisResult.Create((RedisValue)1_000)]);
        try
        {
            answer = await _redis.CallAsync(async database => (RedisResult[])(await Take.EvaluateAsync(database, new
            {
                key = _key,
                burst = _burst,
                perSecond = _perSecond,
                wanted,
                owed,
                now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            }))!);
        }
        catch (Exception exception)
        {
            _logger.LogError(exception, "Taking the request limits' tokens failed; the replica refuses the tenant for a second");
            owed = 0;
        }
        finally
        {
            lock (_gate)
            {
                var now = Environment.TickCount64;
                if (!answer.Answered)
                {
                    // Open rather than closed, at the replica's share: the next second's requests are decided locally.
                    _localUntil = now + LocalMilliseconds;
                    // Debug: every busy tenant says it each second of an outage; the circuit warns once.
                    _logger.LogDebug("The request limits could not reach Redis; the replica admits its own share of the tenant's rate for {Milliseconds} ms", LocalMilliseconds);
                }
                else
                {
                    _owed -= owed;
                    var granted = (int)answer.Value[0];
                    if (granted > 0)
                    {
                        _tokens = (now < _tokensExpireAt ? _tokens : 0) + granted;
                        _tokensExpireAt = now + TokensKeptMilliseconds;
                    }
                    else
                    {
                        _refusedUntil = now + Math.Max(1, (long)answer.Value[1]);
                    }
                }
                _taking = null;
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _localShare.Dispose();
        }
        base.Dispose(disposing);
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
