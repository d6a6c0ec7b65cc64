using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace TieredTenancy.Bench;

/// <summary>
/// Waits until every running resource is healthy, counting each replica of a replicated resource
/// (Aspire's own waits look at one snapshot per resource name), and the bootstrap has exited with success.
/// </summary>
public static class ResourceHealth
{
    /// <summary>The AppHost's run-once worker that sets up roles and databases.</summary>
    private const string Bootstrap = "bootstrap";

    public static async Task WaitForAllAsync(DistributedApplication app, TimeSpan timeout)
    {
        var expected = RunningResources(app).ToDictionary(resource => resource.Name, Replicas);
        var healthy = expected.Keys.ToDictionary(name => name, _ => new HashSet<string>());
        var seen = new Dictionary<string, string>();
        var bootstrapped = !expected.ContainsKey(Bootstrap);
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await foreach (var update in app.ResourceNotifications.WatchAsync(cancellation.Token))
            {
                if (!healthy.TryGetValue(update.Resource.Name, out var instances))
                {
                    continue;
                }
                var state = update.Snapshot.State?.Text;
                if (update.Resource.Name == Bootstrap && state == KnownResourceStates.Finished && update.Snapshot.ExitCode == 0)
                {
                    // The bootstrap runs once, before the Provisioner, and exits: done is what it should be.
                    bootstrapped = true;
                }
                else if (KnownResourceStates.TerminalStates.Contains(state))
                {
                    throw new InvalidOperationException($"'{update.ResourceId}' stopped: {state}, exit code {update.Snapshot.ExitCode}.");
                }
                else if (state == KnownResourceStates.Running && update.Snapshot.HealthStatus == HealthStatus.Healthy)
                {
                    instances.Add(update.ResourceId);
                }
                else
                {
                    instances.Remove(update.ResourceId);
                }
                seen[update.ResourceId] = $"{state}/{update.Snapshot.HealthStatus}";
                if (bootstrapped && healthy.Where(pair => pair.Key != Bootstrap).All(pair => pair.Value.Count >= expected[pair.Key]))
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            throw new TimeoutException($"Not every resource became healthy within {timeout}; last seen: "
                + string.Join(", ", seen.Select(pair => $"{pair.Key}={pair.Value}")));
        }
    }

    /// <summary>Servers and services: not parameters, not databases inside a server, not the bootstrap (it runs once and exits), not Aspire's hidden project rebuilders.</summary>
    private static IEnumerable<IResource> RunningResources(DistributedApplication app) =>
        app.Services.GetRequiredService<DistributedApplicationModel>().Resources
            .Where(resource => resource is not ParameterResource and not IResourceWithParent && resource.Name != "bootstrap")
            .Where(resource => resource.GetType().Name != "ProjectRebuilderResource");

    private static int Replicas(IResource resource) =>
        resource.Annotations.OfType<ReplicaAnnotation>().LastOrDefault()?.Replicas ?? 1;
}
