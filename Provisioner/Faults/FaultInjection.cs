using Microsoft.Extensions.Options;
using StackExchange.Redis;
using TieredTenancy.Tenancy.Hosting;

namespace TieredTenancy.Provisioner.Faults;

/// <summary>
/// Test runs only (<c>Provisioning:AllowFaultInjection</c>, set by the AppHost for tests): a fault
/// plan names steps at which the Provisioner fails, pauses or skips something, so the tests can
/// prove that a failure or a crash at any step leaves nothing half-made. The plan comes from a
/// request's <c>X-Fault-Injection</c> header, and an operation keeps it durably for its whole run
/// (also after a restart). Items, comma-separated:
/// <list type="bullet">
/// <item><c>step</c>: throw at that step;</item>
/// <item><c>pause:step</c>: wait at that step until the test releases it (Redis keys, see
/// <see cref="PausedKey"/>), so a test can act, or kill the process, at a known point;</item>
/// <item><c>skip:step</c>: leave out that step (e.g. <c>skip:broadcast</c> keeps replicas stale).</item>
/// </list>
/// Without the setting every call here does nothing, and production signatures carry no fault argument.
/// </summary>
public sealed class FaultInjection(IOptions<FaultInjectionOptions> options, IServiceProvider services, ILogger<FaultInjection> logger)
{
    public const string Header = "X-Fault-Injection";

    private static readonly AsyncLocal<Plan?> Current = new();

    public bool Enabled => options.Value.AllowFaultInjection;

    /// <summary>The plan a request asked for, when faults may be injected at all; else null.</summary>
    public string? PlanOf(HttpRequest request) =>
        Enabled && request.Headers[Header].ToString() is { Length: > 0 and <= 200 } plan ? plan : null;

    /// <summary>The plan of the work on this async flow (a request's, or an operation's), for work it hands on.</summary>
    public string? CurrentPlan => Current.Value?.Text;

    /// <summary>Makes <paramref name="plan"/> the plan of the work that follows on this async flow.</summary>
    public IDisposable Use(string? plan, Guid? operationId = null)
    {
        var previous = Current.Value;
        Current.Value = Enabled && !string.IsNullOrEmpty(plan) ? new Plan(plan, plan.Split(',', StringSplitOptions.TrimEntries), operationId) : null;
        return new Restore(previous);
    }

    /// <summary>Throws when the plan names <paramref name="step"/>.</summary>
    public void At(string step)
    {
        if (Current.Value is { } plan && plan.Items.Contains(step))
        {
            throw new InjectedFaultException(step);
        }
    }

    public bool Skips(string step) => Current.Value is { } plan && plan.Items.Contains("skip:" + step);

    /// <summary>Waits at <paramref name="step"/> while the plan says <c>pause:step</c>, until the test releases it.</summary>
    public async Task PauseAtAsync(string step, CancellationToken cancellationToken)
    {
        if (Current.Value is not { OperationId: { } operationId } plan || !plan.Items.Contains("pause:" + step))
        {
            return;
        }
        var redis = services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        if (await redis.KeyExistsAsync(ReleasedKey(operationId, step)))
        {
            return;
        }
        logger.LogWarning("Operation {OperationId} paused at {Step} by its fault plan", operationId, step);
        await redis.StringSetAsync(PausedKey(operationId), step);
        while (!await redis.KeyExistsAsync(ReleasedKey(operationId, step)))
        {
            await Task.Delay(100, cancellationToken);
        }
        await redis.KeyDeleteAsync(PausedKey(operationId));
    }

    /// <summary>Holds the step an operation is paused at.</summary>
    public static string PausedKey(Guid operationId) => $"tt:test:paused:{operationId}";

    /// <summary>Exists once the test released the operation at that step.</summary>
    public static string ReleasedKey(Guid operationId, string step) => $"tt:test:released:{operationId}:{step}";

    private sealed record Plan(string Text, string[] Items, Guid? OperationId);

    private sealed class Restore(Plan? previous) : IDisposable
    {
        public void Dispose() => Current.Value = previous;
    }
}

public sealed class InjectedFaultException(string step) : Exception($"Fault injected at step '{step}'.");
