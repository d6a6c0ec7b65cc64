using System.Diagnostics;

namespace TieredTenancy.AppHost.Infrastructure;

/// <summary>
/// Asks the container runtime's client whether an engine answers. The client alone is not an
/// engine: `docker info` fails fast when nothing listens behind it.
/// </summary>
public static class ContainerEngineProbe
{
    /// <summary>The runtime Aspire would use: ASPIRE_CONTAINER_RUNTIME when set, else docker.</summary>
    public static string RuntimeName(IConfiguration configuration) =>
        configuration["ASPIRE_CONTAINER_RUNTIME"] is { Length: > 0 } runtime ? runtime : "docker";

    public static bool EngineAnswers(string runtime, TimeSpan timeout)
    {
        var client = ExecutableSearch.OnPath(runtime);
        if (client is null)
        {
            return false;
        }

        using var process = new Process
        {
            StartInfo = new ProcessStartInfo(client, ["info", "--format", "{{.ServerVersion}}"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            },
        };
        try
        {
            process.Start();
            var output = process.StandardOutput.ReadToEndAsync();
            if (!process.WaitForExit(timeout))
            {
                process.Kill(entireProcessTree: true);
                return false;
            }
            return process.ExitCode == 0 && output.Result.Trim().Length > 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
