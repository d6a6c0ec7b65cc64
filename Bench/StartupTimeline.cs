using System.Collections.Concurrent;
using System.Diagnostics;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace TieredTenancy.Bench;

/// <summary>
/// When each resource of the stack first started, first answered healthy and finished, from the
/// cold start's clock: where the start's seconds go (the servers, the bootstrap, the Provisioner,
/// the Api replicas wait for one another in that order).
/// </summary>
public sealed class StartupTimeline(Stopwatch clock)
{
    private readonly ConcurrentDictionary<(string Resource, string Event), TimeSpan> _first = new();

    /// <summary>Watches the app's resources until <paramref name="stop"/>; start it before the app starts.</summary>
    public async Task WatchAsync(DistributedApplication app, CancellationToken stop)
    {
        try
        {
            await foreach (var update in app.ResourceNotifications.WatchAsync(stop))
            {
                var state = update.Snapshot.State?.Text;
                if (state == KnownResourceStates.Running)
                {
                    _first.TryAdd((update.ResourceId, "running"), clock.Elapsed);
                    if (update.Snapshot.HealthStatus == HealthStatus.Healthy)
                    {
                        _first.TryAdd((update.ResourceId, "healthy"), clock.Elapsed);
                    }
                }
                else if (state == KnownResourceStates.Finished)
                {
                    _first.TryAdd((update.ResourceId, "finished"), clock.Elapsed);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>One line per resource, in the order they became ready.</summary>
    public IEnumerable<string> Lines() =>
        _first.GroupBy(pair => pair.Key.Resource)
            .Select(resource => (Name: resource.Key, Events: resource.ToDictionary(pair => pair.Key.Event, pair => pair.Value)))
            .OrderBy(resource => resource.Events.Values.Max())
            .Select(resource => $"{resource.Name}: " + string.Join(", ",
                new[] { "running", "healthy", "finished" }.Where(resource.Events.ContainsKey)
                    .Select(name => $"{name} {resource.Events[name].TotalSeconds:0.0} s")));
}
