using System.Diagnostics;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using TieredTenancy.Tests.Stack;

namespace TieredTenancy.Tests.Moves;

/// <summary>The real Provisioner process: killed as a crash kills it (SIGKILL, no shutdown), then started again.</summary>
public static class ProvisionerProcess
{
    /// <summary>The Provisioner's own process (the resource's process is the <c>dotnet run</c> that started it).</summary>
    public static async Task<int> CurrentAsync(DistributedApplication app) =>
        (await ServiceProcesses.OfAsync(app, "provisioner", 1, "Provisioner")).Single().Service;

    /// <summary>Resets the process's peak resident set (Linux: <c>clear_refs</c> 5), so the next peak is of what follows.</summary>
    public static void ResetPeakMemory(int pid) => File.WriteAllText($"/proc/{pid}/clear_refs", "5");

    public static long ResidentBytes(int pid) => StatusKilobytes(pid, "VmRSS:") * 1024;

    public static long PeakResidentBytes(int pid) => StatusKilobytes(pid, "VmHWM:") * 1024;

    private static long StatusKilobytes(int pid, string field) =>
        long.Parse(File.ReadLines($"/proc/{pid}/status").Single(line => line.StartsWith(field, StringComparison.Ordinal))[field.Length..].Trim().Split(' ')[0]);

    public static async Task KillAndRestartAsync(DistributedApplication app)
    {
        var running = (await Replicas.WaitForHealthyAsync(app, "provisioner", 1)).Single();
        var pid = Convert.ToInt32(running.Properties.Single(property => property.Name == "executable.pid").Value);
        using (var process = Process.GetProcessById(pid))
        {
            // The resource's process is `dotnet run`; the Provisioner is its child: both die, at once.
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }

        var resource = app.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == "provisioner");
        var commands = app.Services.GetRequiredService<ResourceCommandService>();
        // DCP notices the exit on its own; starting before it has is refused, so try until it takes.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var result = await commands.ExecuteCommandAsync(resource, KnownResourceCommands.StartCommand);
            if (result.Success)
            {
                break;
            }
            Assert.True(DateTime.UtcNow < deadline, $"the Provisioner could not be started again: {result.Message}");
            await Task.Delay(250);
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await foreach (var update in app.ResourceNotifications.WatchAsync(timeout.Token))
        {
            if (update.Resource.Name == "provisioner"
                && update.Snapshot.State?.Text == KnownResourceStates.Running
                && update.Snapshot.HealthStatus == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy
                && update.Snapshot.Properties.FirstOrDefault(property => property.Name == "executable.pid")?.Value is { } newPid
                && Convert.ToInt32(newPid) != pid)
            {
                return;
            }
        }
    }
}
