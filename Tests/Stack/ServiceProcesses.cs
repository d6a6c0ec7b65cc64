using Aspire.Hosting;

namespace TieredTenancy.Tests.Stack;

/// <summary>
/// A service's operating-system processes: the one DCP started for the resource (<c>dotnet run</c>)
/// and the service's own process beneath it, read from /proc as an attacker on the host would.
/// </summary>
public static class ServiceProcesses
{
    /// <summary>Per healthy replica: its launcher, and the service process it started (or the launcher itself, when it is the service).</summary>
    public static async Task<IReadOnlyList<(int Launcher, int Service)>> OfAsync(DistributedApplication app, string resource, int replicas, string assembly)
    {
        var snapshots = await Replicas.WaitForHealthyAsync(app, resource, replicas);
        return snapshots
            .Select(snapshot => Convert.ToInt32(snapshot.Properties.Single(property => property.Name == "executable.pid").Value))
            .Select(launcher => (launcher, ChildOf(launcher, assembly) ?? launcher))
            .ToList();
    }

    /// <summary>The child of <paramref name="parent"/> whose command line names <paramref name="assembly"/>.</summary>
    public static int? ChildOf(int parent, string assembly) =>
        Directory.GetDirectories("/proc").Select(Path.GetFileName).Select(name => int.TryParse(name, out var pid) ? pid : 0)
            .Where(pid => pid > 0 && ParentOf(pid) == parent && ReadOrEmpty($"/proc/{pid}/cmdline").Contains(assembly, StringComparison.Ordinal))
            .Select(pid => (int?)pid)
            .FirstOrDefault();

    /// <summary>The process's environment as the kernel holds it (what it started with).</summary>
    public static IReadOnlyDictionary<string, string> Environment(int pid) =>
        File.ReadAllText($"/proc/{pid}/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(entry => entry.Split('=', 2))
            .Where(pair => pair.Length == 2)
            .GroupBy(pair => pair[0])
            .ToDictionary(group => group.Key, group => group.Last()[1]);

    public static int ParentOf(int pid)
    {
        var stat = ReadOrEmpty($"/proc/{pid}/stat");
        return stat.Length == 0 ? 0 : int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
    }

    /// <summary>A process's command line, arguments separated by spaces; empty once it is gone.</summary>
    public static string CommandLine(int pid) => ReadOrEmpty($"/proc/{pid}/cmdline").Replace('\0', ' ');

    private static string ReadOrEmpty(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }
}
