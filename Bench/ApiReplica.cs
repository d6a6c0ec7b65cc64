using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace TieredTenancy.Bench;

/// <summary>
/// One Api replica's own base address, behind Aspire's load-balancing proxy (which would add a hop
/// and spread the load): its <c>ASPNETCORE_URLS</c>, as Tests/Stack/Replicas.cs finds it.
/// </summary>
public sealed record ApiReplica(string ResourceId, Uri BaseAddress)
{
    public const string ResourceName = "api";

    /// <summary>Waits until every replica is running and healthy, then picks the first by resource id (the same one every time it is asked).</summary>
    public static async Task<ApiReplica> FindAsync(DistributedApplication app, TimeSpan timeout) => (await AllAsync(app, timeout))[0];

    /// <summary>Each replica's own base address, in resource-id order.</summary>
    public static async Task<IReadOnlyList<Uri>> BaseAddressesAsync(DistributedApplication app, TimeSpan timeout) =>
        (await AllAsync(app, timeout)).Select(replica => replica.BaseAddress).ToList();

    /// <summary>Waits until every replica is running and healthy; returns them in resource-id order.</summary>
    public static async Task<IReadOnlyList<ApiReplica>> AllAsync(DistributedApplication app, TimeSpan timeout)
    {
        var expected = app.Services.GetRequiredService<DistributedApplicationModel>().Resources
            .Single(resource => resource.Name == ResourceName)
            .Annotations.OfType<ReplicaAnnotation>().LastOrDefault()?.Replicas ?? 1;
        var healthy = new Dictionary<string, CustomResourceSnapshot>();
        var seen = new Dictionary<string, string>();
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await foreach (var update in app.ResourceNotifications.WatchAsync(cancellation.Token))
            {
                if (update.Resource.Name != ResourceName)
                {
                    continue;
                }
                var state = update.Snapshot.State?.Text;
                if (KnownResourceStates.TerminalStates.Contains(state))
                {
                    throw new InvalidOperationException($"'{update.ResourceId}' stopped: {state}, exit code {update.Snapshot.ExitCode}.");
                }
                if (state == KnownResourceStates.Running && update.Snapshot.HealthStatus == HealthStatus.Healthy)
                {
                    healthy[update.ResourceId] = update.Snapshot;
                }
                else
                {
                    healthy.Remove(update.ResourceId);
                }
                seen[update.ResourceId] = $"{state}/{update.Snapshot.HealthStatus}";
                if (healthy.Count >= expected)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            throw new TimeoutException($"'{ResourceName}' did not get {expected} healthy instance(s) within {timeout}; last seen: "
                + string.Join(", ", seen.Select(pair => $"{pair.Key}={pair.Value}")));
        }

        return healthy.OrderBy(pair => pair.Key, StringComparer.Ordinal)
            .Select(pair => new ApiReplica(pair.Key, new Uri((pair.Value.EnvironmentVariables.Single(variable => variable.Name == "ASPNETCORE_URLS").Value
                ?? throw new InvalidOperationException($"'{pair.Key}' has no ASPNETCORE_URLS.")).Split(';')[0])))
            .ToList();
    }
}
