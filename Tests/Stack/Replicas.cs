using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace TieredTenancy.Tests.Stack;

/// <summary>
/// Instances of a replicated resource. Aspire's own waits look at one snapshot per resource name;
/// these look at every replica, and find each one's own address behind the load-balancing proxy.
/// </summary>
public static class Replicas
{
    /// <summary>Waits until <paramref name="expected"/> instances are running and healthy; returns their snapshots.</summary>
    public static async Task<IReadOnlyList<CustomResourceSnapshot>> WaitForHealthyAsync(
        DistributedApplication app, string resourceName, int expected, TimeSpan? timeout = null)
    {
        var healthy = new Dictionary<string, CustomResourceSnapshot>();
        using var cancellation = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        var seen = new Dictionary<string, string>();
        try
        {
            await foreach (var update in app.ResourceNotifications.WatchAsync(cancellation.Token))
            {
                if (update.Resource.Name != resourceName)
                {
                    continue;
                }
                if (KnownResourceStates.TerminalStates.Contains(update.Snapshot.State?.Text))
            {
                throw new InvalidOperationException($"'{resourceName}' ({update.ResourceId}) stopped: {update.Snapshot.State?.Text}, exit code {update.Snapshot.ExitCode}.");
            }
            if (update.Snapshot.State?.Text == KnownResourceStates.Running && update.Snapshot.HealthStatus == HealthStatus.Healthy)
                {
                    healthy[update.ResourceId] = update.Snapshot;
                }
                else
                {
                    healthy.Remove(update.ResourceId);
                }
                seen[update.ResourceId] = $"{update.Snapshot.State?.Text}/{update.Snapshot.HealthStatus}";
                if (healthy.Count == expected)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            throw new TimeoutException(
                $"'{resourceName}' did not get {expected} healthy instance(s); last seen: {string.Join(", ", seen.Select(pair => $"{pair.Key}={pair.Value}"))}");
        }
        return healthy.Values.ToList();
    }

    /// <summary>Each healthy replica's own base address (its ASPNETCORE_URLS), bypassing the proxy.</summary>
    public static async Task<IReadOnlyList<Uri>> BaseAddressesAsync(DistributedApplication app, string resourceName, int expected) =>
        (await WaitForHealthyAsync(app, resourceName, expected))
            .Select(snapshot => snapshot.EnvironmentVariables.Single(variable => variable.Name == "ASPNETCORE_URLS").Value!)
            .Select(urls => new Uri(urls.Split(';')[0]))
            .ToList();
}
