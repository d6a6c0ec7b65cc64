using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace TieredTenancy.Tests.Stack;

/// <summary>
/// Instances of a replicated resource. Aspire's own waits look at one snapshot per resource name;
/// these look at every replica, and find each one's own address behind the load-balancing proxy.
/// </summary>
public static class Replicas
{
    /// <summary>How many instances of the resource the AppHost asked for.</summary>
    public static int CountOf(DistributedApplication app, string resourceName) =>
        app.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(resource => resource.Name == resourceName)
            .TryGetLastAnnotation<ReplicaAnnotation>(out var replicas) ? replicas.Replicas : 1;

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
        (await WaitForHealthyAsync(app, resourceName, expected)).Select(AddressOf).ToList();

    /// <summary>
    /// Kills one healthy instance of the resource (its whole process tree, as a crash would: the
    /// resource's process is <c>dotnet run</c>, the service its child) and waits until the AppHost's
    /// supervision has started it again; returns that instance's own base address once the new
    /// process runs, or, with <paramref name="untilHealthy"/>, once it is also reported healthy.
    /// </summary>
    public static async Task<Uri> KillAndStartOneAsync(DistributedApplication app, string resourceName, bool untilHealthy = false, TimeSpan? timeout = null)
    {
        // A cold start on a busy machine: as long as a whole stack may take.
        using var cancellation = new CancellationTokenSource(timeout ?? StackFixture.StartTimeout);
        var (replica, pid) = ("", "");
        await foreach (var update in app.ResourceNotifications.WatchAsync(cancellation.Token))
        {
            if (update.Resource.Name == resourceName && IsHealthy(update.Snapshot))
            {
                (replica, pid) = (update.ResourceId, ProcessId(update.Snapshot));
                break;
            }
        }
        using (var process = System.Diagnostics.Process.GetProcessById(int.Parse(pid)))
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(cancellation.Token);
        }
        return await StartedAgainAsync(app, replica, pid, untilHealthy, cancellation.Token);
    }

    /// <summary>
    /// Waits until the AppHost's supervision has started again a replica whose process was killed
    /// (<paramref name="killedPid"/>, its launcher's pid); returns its own base address once a new
    /// process runs, or with <paramref name="untilHealthy"/> once it is also reported healthy.
    /// </summary>
    public static async Task<Uri> StartedAgainAsync(DistributedApplication app, string replica, string killedPid, bool untilHealthy, CancellationToken cancellationToken)
    {
        await foreach (var update in app.ResourceNotifications.WatchAsync(cancellationToken))
        {
            if (update.ResourceId == replica && update.Snapshot.State?.Text == KnownResourceStates.Running && ProcessId(update.Snapshot) is { Length: > 0 } started
                && started != killedPid && (!untilHealthy || IsHealthy(update.Snapshot)))
            {
                return AddressOf(update.Snapshot);
            }
        }
        throw new TimeoutException($"'{replica}' did not start again.");
    }

    /// <summary>Each healthy replica's resource id and launcher pid (the <c>dotnet run</c> DCP started).</summary>
    public static async Task<IReadOnlyDictionary<string, int>> LaunchersAsync(DistributedApplication app, string resourceName, int expected)
    {
        var replicas = new Dictionary<string, int>();
        using var cancellation = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await foreach (var update in app.ResourceNotifications.WatchAsync(cancellation.Token))
        {
            if (update.Resource.Name == resourceName && IsHealthy(update.Snapshot) && int.TryParse(ProcessId(update.Snapshot), out var pid))
            {
                replicas[update.ResourceId] = pid;
                if (replicas.Count == expected)
                {
                    return replicas;
                }
            }
        }
        throw new TimeoutException($"'{resourceName}' did not get {expected} healthy instance(s).");
    }

    private static bool IsHealthy(CustomResourceSnapshot snapshot) =>
        snapshot.State?.Text == KnownResourceStates.Running && snapshot.HealthStatus == HealthStatus.Healthy;

    private static string ProcessId(CustomResourceSnapshot snapshot) =>
        snapshot.Properties.FirstOrDefault(property => property.Name == "executable.pid")?.Value?.ToString() ?? "";

    private static Uri AddressOf(CustomResourceSnapshot snapshot) =>
        new(snapshot.EnvironmentVariables.Single(variable => variable.Name == "ASPNETCORE_URLS").Value!.Split(';')[0]);
}
