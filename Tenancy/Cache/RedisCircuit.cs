using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;
using StackExchange.Redis;

namespace TieredTenancy.Tenancy.Cache;

/// <summary>
/// Every Redis call a request or an admin call waits on goes through here: a short timeout, and a circuit (Polly's) that
/// opens after two failures so later calls take their fallback at once instead of each waiting out the timeout. Callers
/// decide the fallback: the in-memory cache, the replica's own share of a limit, the catalog's notification channel.
/// </summary>
public sealed class RedisCircuit
{
    private readonly IConnectionMultiplexer _redis;
    private readonly ResiliencePipeline _pipeline;
    private readonly ILogger<RedisCircuit> _logger;


    public RedisCircuit(IConnectionMultiplexer redis, IOptions<RedisCircuitOptions> options, ILogger<RedisCircuit> logger)
    {
        _redis = redis;
        _logger = logger;
        var settings = options.Value;
        _pipeline = new ResiliencePipelineBuilder()
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = 1.0,
                MinimumThroughput = 2,
                SamplingDuration = TimeSpan.FromSeconds(2),
                BreakDuration = settings.BreakDuration,
                ShouldHandle = new PredicateBuilder().Handle<RedisException>().Handle<TimeoutException>().Handle<TimeoutRejectedException>(),
                OnOpened = _ =>
                {
                    _logger.LogWarning("Redis stopped answering within {Timeout} ms; its callers fall back for {Break} ms at a time",
                        settings.CallTimeout.TotalMilliseconds, settings.BreakDuration.TotalMilliseconds);
                    return ValueTask.CompletedTask;
                },
                OnClosed = _ =>
                {
                    _logger.LogInformation("Redis answers again");
                    Restored?.Invoke();
                    return ValueTask.CompletedTask;
                },
            })
            .AddTimeout(settings.CallTimeout)
            .Build();
    }

    /// <summary>Raised when Redis answers again after the circuit was open: what was written only locally meanwhile can be reconciled.</summary>
    public event Action? Restored;

    /// <summary>The call's answer, or none (the caller's fallback applies) when Redis failed, did not answer in time or is known to be away.</summary>
    public async ValueTask<RedisAnswer<T>> CallAsync<T>(Func<IDatabase, Task<T>> call, CancellationToken cancellationToken = default)
    {
        try
        {
            var database = _redis.GetDatabase();
            var value = await _pipeline.ExecuteAsync(static async (state, token) => await state.call(state.database).WaitAsync(token),
                (call, database), cancellationToken);
            return new RedisAnswer<T>(true, value);
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException or TimeoutRejectedException or BrokenCircuitException)
        {
            _logger.LogDebug(exception, "A Redis call fell back");
            return new RedisAnswer<T>(false, default!);
        }
    }

    /// <summary>A call without an answer of its own: true when Redis took it.</summary>
    public async ValueTask<bool> CallAsync(Func<IDatabase, Task> call, CancellationToken cancellationToken = default) =>
        (await CallAsync(async database =>
        {
            await call(database);
            return true;
        }, cancellationToken)).Answered;
}

/// <summary>What a guarded Redis call gave: its value when <see cref="Answered"/>, else nothing and the caller's fallback applies.</summary>
public readonly record struct RedisAnswer<T>(bool Answered, T Value);
