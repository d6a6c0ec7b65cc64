using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace TieredTenancy.Bench.Profiling;

/// <summary>
/// A CPU profile of one Api replica under the throughput benchmark's load on one route of one tier:
/// the load runs, <c>dotnet-trace</c> (the repository's tool manifest) samples the replica's threads
/// for the measured seconds, and its top frames by exclusive and inclusive CPU are printed
/// (<see cref="ProfileSummary"/>). The trace is kept (nettrace and speedscope) for a closer look; see Bench/README.md.
/// </summary>
public static class ApiProfile
{
    public const int TopFrames = 25;

    public static async Task<string> RunAsync(BenchStack stack, BenchOptions options, ProfileTarget target)
    {
        var replica = await ApiReplica.FindAsync(stack.App, BenchStack.Timeout);
        using var api = ApiThroughput.Client(replica, options.Concurrency);
        using var admin = await stack.AdminClientAsync();
        var tier = ThroughputTiers.All.Single(tier => tier.Isolation == target.Isolation);
        var tenant = await ApiTenant.CreateAsync(stack, admin, api, tier, new SlugSource());
        var pid = ReplicaProcess.ListeningOn(replica.BaseAddress.Port);
        var traced = TimeSpan.FromSeconds(options.Seconds);
        var warmUp = ApiThroughput.Priming + LoadLoop.WarmUp;
        Console.Error.WriteLine($"  profile: {target} on replica {replica.ResourceId} (pid {pid}), {warmUp.TotalSeconds:0} s warm-up, {traced.TotalSeconds:0} s traced");

        // The load outlasts the trace on both sides: the trace starts after the warm-up and ends before the load does.
        var load = LoadLoop.RunAsync(target.ToString(), api, tenant.Request(target.Route), options.Concurrency, traced + TimeSpan.FromSeconds(4), warmUp);
        await Task.Delay(warmUp + TimeSpan.FromSeconds(1));
        var folder = Directory.CreateDirectory(Path.Combine(Tools.RepositoryRoot, "Bench", "bin", "profiles")).FullName;
        var trace = Path.Combine(folder, $"{target.Isolation}-{target.Route.Name()}-{DateTime.UtcNow:yyyyMMdd-HHmmss}.nettrace");
        await Tools.RunAsync("dotnet-trace", "collect", "-p", pid.ToString(CultureInfo.InvariantCulture), "--profile", "dotnet-sampled-thread-time",
            "--duration", traced.ToString(@"dd\:hh\:mm\:ss", CultureInfo.InvariantCulture), "--format", "Speedscope", "-o", trace);
        var loop = await load;

        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture,
            $"profile of {target} on {replica.ResourceId} (pid {pid}): {loop.RequestsPerSecond:0.0} rps, {loop.Errors} error(s); trace {trace}\n");
        // The speedscope export sits beside the trace: name.nettrace -> name.speedscope.json.
        var speedscope = Path.ChangeExtension(trace, ".speedscope.json");
        text.Append(ProfileSummary.Read(speedscope).Render(TopFrames, (int)(loop.RequestsPerSecond * traced.TotalSeconds)));
        return text.ToString();
    }
}

/// <summary>The repository's local .NET tools (dotnet-tools.json), run from its root.</summary>
public static class Tools
{
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>Runs <c>dotnet tool run</c>; returns standard output, or throws with standard error when the tool fails.</summary>
    public static async Task<string> RunAsync(string tool, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet", ["tool", "run", tool, "--", .. arguments])
        {
            WorkingDirectory = RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {tool}.");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await error}{await output}");
        }
        return await output;
    }

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "dotnet-tools.json")))
            {
                return folder.FullName;
            }
        }
        throw new InvalidOperationException("dotnet-tools.json not found above " + AppContext.BaseDirectory);
    }
}
