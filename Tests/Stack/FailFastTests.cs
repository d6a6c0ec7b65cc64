using System.Diagnostics;

namespace TieredTenancy.Tests.Stack;

/// <summary>With neither a container engine nor PostgreSQL binaries, the AppHost says so at once.</summary>
public sealed class FailFastTests
{
    [Fact]
    public async Task AppHost_with_nothing_to_run_exits_at_once_naming_what_to_install()
    {
        var appHost = AppHostAssembly();
        var start = new ProcessStartInfo("dotnet", ["exec", appHost])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(appHost)!,
            Environment =
            {
                ["Infrastructure__Mode"] = "Auto",
                // No engine behind this runtime name, and no PostgreSQL where it is told to look.
                ["ASPIRE_CONTAINER_RUNTIME"] = "tieredtenancy-no-such-runtime",
                ["Infrastructure__PostgresBinDirectories__0"] = "/nonexistent/postgresql/bin",
                ["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true",
            },
        };

        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("The AppHost hung instead of failing fast.");
        }

        // "At once" is the hang bound above (a minute, generous for a loaded machine's process start) and that nothing was started.
        Assert.NotEqual(0, process.ExitCode);
        var message = await errors;
        Assert.Contains("no container engine answered 'tieredtenancy-no-such-runtime info'", message);
        Assert.Contains("/nonexistent/postgresql/bin", message);
        Assert.Contains("apt-get install postgresql", message);
        Assert.DoesNotContain("Distributed application started", await output);
    }

    private static string AppHostAssembly()
    {
        var project = Projects.AppHost.ProjectPath;
        // Tests/bin/<Configuration>/net10.0/: the AppHost was built in the same configuration.
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        var assembly = Path.Combine(project, "bin", configuration, "net10.0", "AppHost.dll");
        Assert.True(File.Exists(assembly), $"AppHost is not built at {assembly}");
        return assembly;
    }
}
