using Microsoft.Extensions.Options;
using StackExchange.Redis;
using TieredTenancy.Tenancy.Hosting;

namespace TieredTenancy.Provisioner.Faults;

/// <summary>
/// Test runs only (<c>Provisioning:AllowFaultInjection</c>): so tests can prove a failure or crash at
/// any step leaves nothing half-made. The plan, from the <c>X-Fault-Injection</c> header and kept by an
/// operation across restarts, lists comma-separated <c>step</c> (throw there), <c>pause:step</c> (wait
/// until the test releases it, see <see cref="PausedKey"/>) and <c>skip:step</c>. Off, it does nothing.
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
