using System.Diagnostics;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;

namespace TieredTenancy.Tests.Stack;

/// <summary>A test run leaves no server, no DCP process and no throwaway data folder behind.</summary>
public sealed class CleanupTests
{
    [Fact]
    public async Task Stopping_the_app_ends_its_servers_and_DCP_and_removes_the_data_folder()
    {
        var dcpBefore = ProcessIds("dcp");
        var builder = (await TestStack.CreateBuilderAsync()).KeepOnly("postgres", "catalog", "tenants", "postgres-dedicated", "cache");
        var dataRoot = builder.Resources.OfType<ExecutableResource>().Single(resource => resource.Name == "postgres").WorkingDirectory;

        var serverPids = new List<int>();
        List<int> newDcp;
        await using (var app = await builder.BuildAsync().WaitAsync(StackFixture.StartTimeout))
        {
            await app.StartAsync().WaitAsync(StackFixture.StartTimeout);
            foreach (var name in new[] { "postgres", "postgres-dedicated", "cache" })
            {
                var ready = await app.ResourceNotifications.WaitForResourceHealthyAsync(name).WaitAsync(StackFixture.StartTimeout);
                if (ready.Snapshot.Properties.FirstOrDefault(property => property.Name == "executable.pid")?.Value is { } pid)
                {
                    serverPids.Add(Convert.ToInt32(pid));
                }
            }
            Assert.True(Directory.Exists(dataRoot), $"the data folder {dataRoot} should exist while the app runs");
            Assert.All(serverPids, pid => Assert.True(IsRunning(pid), $"server pid {pid} should run"));
            newDcp = ProcessIds("dcp").Except(dcpBefore).Where(OfThisTestHost).ToList();
            Assert.NotEmpty(newDcp);
        }

        Assert.True(serverPids.Count >= 2, "the PostgreSQL servers' pids were not reported");
        await Eventually(() => serverPids.All(pid => !IsRunning(pid)), "PostgreSQL and Redis servers stopped");
        await Eventually(() => newDcp.All(pid => !IsRunning(pid)), "the DCP processes of this run exited");
        await Eventually(() => !Directory.Exists(dataRoot), $"the throwaway data folder {dataRoot} was removed");
        // No PostgreSQL backend anywhere still serves a data folder of this run.
        Assert.DoesNotContain(ProcessCommandLines(), line => line.Contains(dataRoot));
    }

    private static async Task Eventually(Func<bool> condition, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), $"not so after 30 s: {what}");
            await Task.Delay(200);
        }
    }

    private static bool IsRunning(int pid) =>
        File.Exists($"/proc/{pid}/stat") && !File.ReadAllText($"/proc/{pid}/stat").Split(' ')[2].Equals("Z");

    /// <summary>
    /// A DCP process of this test host's app: its topmost DCP ancestor (the API server) monitors this
    /// process. Other test runs on the machine start DCP processes of their own meanwhile.
    /// </summary>
    private static bool OfThisTestHost(int pid)
    {
        var top = pid;
        for (var parent = ServiceProcesses.ParentOf(pid); parent > 1 && ServiceProcesses.CommandLine(parent).Contains("/dcp ", StringComparison.Ordinal); parent = ServiceProcesses.ParentOf(parent))
        {
            top = parent;
        }
        return ServiceProcesses.CommandLine(top).Contains($"--monitor {Environment.ProcessId} ", StringComparison.Ordinal);
    }

    private static HashSet<int> ProcessIds(string name) =>
        Process.GetProcessesByName(name).Select(process => process.Id).ToHashSet();

    private static IEnumerable<string> ProcessCommandLines() =>
        Directory.EnumerateDirectories("/proc")
            .Where(directory => int.TryParse(Path.GetFileName(directory), out _))
            .Select(directory => ServiceProcesses.CommandLine(int.Parse(Path.GetFileName(directory))));
}
