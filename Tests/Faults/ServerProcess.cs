using System.Runtime.InteropServices;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace TieredTenancy.Tests.Faults;

/// <summary>
/// A server of the stack (PostgreSQL, redis-server) as the operating system sees it: paused and resumed (SIGSTOP,
/// SIGCONT), shut down fast (SIGINT, as <c>pg_ctl -m fast</c>), killed (SIGKILL), and started again through the
/// AppHost's own start command, as an orchestrator restarts a container.
/// </summary>
public static class ServerProcess
{
    public const int Interrupt = 2;
    public const int Kill = 9;
    public const int Continue = 18;
    public const int Stop = 19;

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    public static void Signal(int pid, int signal)
    {
        if (kill(pid, signal) != 0)
        {
            throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>The running server's resource id and process id (DCP starts the server itself, or setpriv that becomes it).</summary>
    public static async Task<(string ResourceId, int Pid)> RunningAsync(DistributedApplication app, string resource)
    {
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await foreach (var update in app.ResourceNotifications.WatchAsync(cancellation.Token))
        {
            if (update.Resource.Name == resource && update.Snapshot.State?.Text == KnownResourceStates.Running
                && update.Snapshot.HealthStatus == HealthStatus.Healthy
                && update.Snapshot.Properties.FirstOrDefault(property => property.Name == "executable.pid")?.Value is { } pid)
            {
                return (update.ResourceId, Convert.ToInt32(pid));
            }
        }
        throw new TimeoutException($"'{resource}' is not running.");
    }

    public static async Task WaitForExitAsync(int pid, TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        while (Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal))
        {
            await Task.Delay(20, cancellation.Token);
        }
    }

    /// <summary>Starts a server that ended through the AppHost's start command; returns once it is running and healthy again.</summary>
    public static async Task StartAgainAsync(DistributedApplication app, string resourceId, string resource)
    {
        var commands = app.Services.GetRequiredService<ResourceCommandService>();
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        // DCP must have seen the exit before it accepts a start.
        while (!(await commands.ExecuteCommandAsync(resourceId, KnownResourceCommands.StartCommand, cancellation.Token)).Success)
        {
            await Task.Delay(200, cancellation.Token);
        }
        await foreach (var update in app.ResourceNotifications.WatchAsync(cancellation.Token))
        {
            if (update.Resource.Name == resource && update.Snapshot.State?.Text == KnownResourceStates.Running
                && update.Snapshot.HealthStatus == HealthStatus.Healthy)
            {
                return;
            }
        }
    }
}
