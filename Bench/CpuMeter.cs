using System.Globalization;

namespace TieredTenancy.Bench;

/// <summary>CPU time used by the measured Api replica and by the stack's PostgreSQL servers (every backend, and those that exited).</summary>
public sealed record CpuTimes(TimeSpan Api, TimeSpan Postgres)
{
    public static CpuTimes operator -(CpuTimes after, CpuTimes before) => new(after.Api - before.Api, after.Postgres - before.Postgres);
}

/// <summary>
/// Reads CPU times from /proc (Linux): the Api replica's process, and every <c>postgres</c> process
/// started for this benchmark (under the Aspire orchestrator that watches it: the stack's servers,
/// not another run's), with the time of its
/// exited children (backends closed meanwhile). CPU per request is steadier than requests per second
/// on a shared machine: another process's load slows the requests, but costs them little CPU.
/// </summary>
public sealed class CpuMeter(int apiPid)
{
    private const double TicksPerSecond = 100; // USER_HZ on Linux

    public static CpuMeter? ForReplica(ApiReplica replica)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }
        try
        {
            return new CpuMeter(ReplicaProcess.ListeningOn(replica.BaseAddress.Port));
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    public CpuTimes Read()
    {
        var processes = new Dictionary<int, (int Parent, string Name, long Ticks)>();
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(folder), out var pid) && Stat(pid) is { } stat)
            {
                processes[pid] = stat;
            }
        }
        // Aspire's orchestrator (dcp) detaches from this process, and names it as the one it watches.
        var roots = processes.Where(pair => pair.Value.Name == "dcp" && WatchesThisProcess(pair.Key)).Select(pair => pair.Key).Append(Environment.ProcessId).ToHashSet();
        var postgres = processes.Where(pair => pair.Value.Name == "postgres" && DescendsFrom(pair.Key, roots, processes)).Sum(pair => pair.Value.Ticks);
        var api = processes.TryGetValue(apiPid, out var replica) ? replica.Ticks : 0;
        return new CpuTimes(TimeSpan.FromSeconds(api / TicksPerSecond), TimeSpan.FromSeconds(postgres / TicksPerSecond));
    }

    private static bool WatchesThisProcess(int pid)
    {
        try
        {
            var arguments = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
            var monitor = Array.IndexOf(arguments, "--monitor");
            return monitor >= 0 && monitor + 1 < arguments.Length && arguments[monitor + 1] == Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static bool DescendsFrom(int pid, HashSet<int> ancestors, Dictionary<int, (int Parent, string Name, long Ticks)> processes)
    {
        for (var hops = 0; hops < 64 && processes.TryGetValue(pid, out var process); hops++)
        {
            if (ancestors.Contains(process.Parent))
            {
                return true;
            }
            pid = process.Parent;
        }
        return false;
    }

    /// <summary>Parent, name and utime + stime + cutime + cstime of /proc/PID/stat; null when the process is gone.</summary>
    private static (int Parent, string Name, long Ticks)? Stat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
        // "pid (name) state ppid ...": the name may hold spaces and parentheses; the fields after the last ')' do not.
        var open = text.IndexOf('(');
        var close = text.LastIndexOf(')');
        if (open < 0 || close < open)
        {
            return null;
        }
        var fields = text[(close + 2)..].Split(' ');
        // After the name: [0] state, [1] ppid, ..., [11] utime, [12] stime, [13] cutime, [14] cstime.
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)
            + long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
        return (int.Parse(fields[1], CultureInfo.InvariantCulture), text[(open + 1)..close], ticks);
    }
}
