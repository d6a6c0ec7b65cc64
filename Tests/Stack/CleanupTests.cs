using System.Diagnostics;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;

namespace TieredTenancy.Tests.Stack;

/// <summary>A test run leaves no server, no DCP process and no throwaway data folder behind.</summary>
public sealed class CleanupTests
{
    [Theory]
    [InlineData("Auto")]
    [InlineData("Garnet")]
    public async Task Stopping_the_app_ends_its_servers_and_DCP_and_removes_the_data_folder(string redis)
    {
        var dcpBefore = ProcessIds("dcp");
        var builder = (await TestStack.CreateBuilderAsync($"Infrastructure:Redis={redis}")).KeepOnly("postgres", "catalog", "tenants", "postgres-dedicated", "cache");
        var dataRoot = builder.Resources.OfType<ExecutableResource>().Single(resource => resource.Name == "postgres").WorkingDirectory;

        var serverPids = new Dictionary<string, int>();
        int? garnetPort = null;
        List<int> newDcp;
        await using (var app = await builder.BuildAsync().WaitAsync(StackFixture.StartTimeout))
        {
            await app.StartAsync().WaitAsync(StackFixture.StartTimeout);
            foreach (var name in new[] { "postgres", "postgres-dedicated", "cache" })
            {
                var ready = await app.ResourceNotifications.WaitForResourceHealthyAsync(name).WaitAsync(StackFixture.StartTimeout);
                if (ready.Snapshot.Properties.FirstOrDefault(property => property.Name == "executable.pid")?.Value is { } pid)
                {
                    serverPids[name] = Convert.ToInt32(pid);
                }
                else if (name == "cache" && ready.Snapshot.Properties.FirstOrDefault(property => property.Name == "garnet.port")?.Value is { } port)
                {
                    // The embedded Garnet server runs inside this process: it has a port, not a pid.
                    garnetPort = Convert.ToInt32(port);
                }
            }
            Assert.True(Directory.Exists(dataRoot), $"the data folder {dataRoot} should exist while the app runs");
            Assert.True(serverPids.ContainsKey("postgres") && serverPids.ContainsKey("postgres-dedicated"),
                $"both PostgreSQL servers should report a pid; reported: {string.Join(", ", serverPids.Keys)}");
            Assert.True(serverPids.ContainsKey("cache") || garnetPort is not null, "the cache should report a redis-server pid or an embedded Garnet port");
            Assert.True(redis != "Garnet" || garnetPort is not null, "Infrastructure:Redis=Garnet should run the embedded Garnet server");
            Assert.All(serverPids, server => Assert.True(IsRunning(server.Value), $"{server.Key} (pid {server.Value}) should run"));
            if (garnetPort is { } listening)
            {
                Assert.True(await AcceptsConnectionsAsync(listening), $"the embedded Garnet server should listen on {listening}");
            }
            newDcp = ProcessIds("dcp").Except(dcpBefore).Where(OfThisTestHost).ToList();
            Assert.NotEmpty(newDcp);
        }

        await Eventually.TrueAsync(() => serverPids.Values.All(pid => !IsRunning(pid)), TimeSpan.FromSeconds(30), "PostgreSQL and Redis servers stopped");
        if (garnetPort is { } stopped)
        {
            await Eventually.TrueAsync(async () => !await AcceptsConnectionsAsync(stopped), TimeSpan.FromSeconds(30), $"the embedded Garnet server stopped listening on {stopped}");
        }
        await Eventually.TrueAsync(() => newDcp.All(pid => !IsRunning(pid)), TimeSpan.FromSeconds(30), "the DCP processes of this run exited");
        await Eventually.TrueAsync(() => !Directory.Exists(dataRoot), TimeSpan.FromSeconds(30), $"the throwaway data folder {dataRoot} was removed");
        // No PostgreSQL backend anywhere still serves a data folder of this run.
        Assert.DoesNotContain(ProcessCommandLines(), line => line.Contains(dataRoot));
    }

    private static async Task<bool> AcceptsConnectionsAsync(int port)
    {
        using var client = new System.Net.Sockets.TcpClient();
        try
        {
            await client.ConnectAsync(System.Net.IPAddress.Loopback, port).WaitAsync(TimeSpan.FromSeconds(5));
            return true;
        }
        catch (Exception exception) when (exception is System.Net.Sockets.SocketException or TimeoutException)
        {
            return false;
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
