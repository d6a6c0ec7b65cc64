using Aspire.Hosting;
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

    public static Task KillAndRestartAsync(DistributedApplication app) => Replicas.KillAndStartOneAsync(app, "provisioner", untilHealthy: true);
}
