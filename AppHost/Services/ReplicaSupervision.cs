using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace TieredTenancy.AppHost.Services;

/// <summary>Marks a service whose replicas <see cref="ReplicaSupervision"/> starts again when they die.</summary>
public sealed class SupervisedAnnotation : IResourceAnnotation;

public static class ReplicaSupervisionExtensions
{
    /// <summary>A replica of this service that ends (crashed, killed, stopped) is started again, as a replica set would.</summary>
    public static IResourceBuilder<T> WithSupervision<T>(this IResourceBuilder<T> service) where T : IResource
    {
        service.ApplicationBuilder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ReplicaSupervision>());
        return service.WithAnnotation(new SupervisedAnnotation());
    }
}

/// <summary>
/// Brings a dead replica back: nothing in local mode restarts a process that crashed or was killed,
/// and with two replicas the other serves meanwhile. A replica that dies again within a minute waits
/// longer each time (1 s doubling up to 30 s), so a service that cannot start does not spin. Nothing
/// is restarted while the AppHost stops. To keep a replica down, run fewer replicas.
/// </summary>
public sealed class ReplicaSupervision(
    ResourceNotificationService notifications,
    ResourceCommandService commands,
    IHostApplicationLifetime lifetime,
    ILogger<ReplicaSupervision> logger) : BackgroundService
{
    private static readonly TimeSpan FirstWait = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LongestWait = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan CrashLoopWindow = TimeSpan.FromSeconds(15);

    private readonly ConcurrentDictionary<string, string?> _states = new();
    private readonly ConcurrentDictionary<string, (DateTimeOffset At, TimeSpan Wait)> _lastRestart = new();
    private readonly ConcurrentDictionary<string, Task> _restarting = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var update in notifications.WatchAsync(stoppingToken))
        {
            if (!update.Resource.HasAnnotationOfType<SupervisedAnnotation>())
            {
                continue;
            }
            _states[update.ResourceId] = update.Snapshot.State?.Text;
            if (Died(update.Snapshot) && !lifetime.ApplicationStopping.IsCancellationRequested && !_restarting.ContainsKey(update.ResourceId))
            {
                logger.LogWarning("Replica {Replica} died (exit code {ExitCode}); starting it again", update.ResourceId, update.Snapshot.ExitCode);
                _restarting[update.ResourceId] = RestartAsync(update.ResourceId, stoppingToken);
            }
        }
    }

    // Any end, whatever its exit code: a killed process's code arrives late or not at all, and a service never ends on purpose.
    private static bool Died(CustomResourceSnapshot snapshot) => KnownResourceStates.TerminalStates.Contains(snapshot.State?.Text);

    private async Task RestartAsync(string replica, CancellationToken stoppingToken)
    {
        try
        {
            var now = DateTimeOffset.UtcNow;
            var wait = _lastRestart.TryGetValue(replica, out var last) && now - last.At < CrashLoopWindow
                ? TimeSpan.FromTicks(Math.Min(LongestWait.Ticks, last.Wait.Ticks * 2))
                : FirstWait;
            _lastRestart[replica] = (now, wait);
            await Task.Delay(wait, stoppingToken);
            // DCP must have noticed the exit before a start is accepted; someone else (the dashboard, a test) may start it first.
            while (!lifetime.ApplicationStopping.IsCancellationRequested && Dead(replica)
                   && await commands.ExecuteCommandAsync(replica, KnownResourceCommands.StartCommand, stoppingToken) is { Success: false })
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The AppHost stops.
        }
        catch (Exception exception)
        {
            logger.LogError(exception, "Could not start replica {Replica} again", replica);
        }
        finally
        {
            _restarting.TryRemove(replica, out _);
        }
    }

    private bool Dead(string replica) => _states.TryGetValue(replica, out var state) && KnownResourceStates.TerminalStates.Contains(state);
}
