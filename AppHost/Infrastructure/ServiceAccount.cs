using System.Diagnostics;

namespace TieredTenancy.AppHost.Infrastructure;

/// <summary>
/// PostgreSQL refuses to run as root. When the AppHost is root, its servers run as the
/// <c>postgres</c> account through <c>setpriv</c>, which execs in place: the pid DCP watches (and
/// stops) is the server's own, so nothing is orphaned when the run ends.
/// </summary>
public sealed record ServiceAccount(string Name, int UserId, int GroupId)
{
    public static bool RunningAsRoot => !OperatingSystem.IsWindows() && Environment.IsPrivilegedProcess;

    /// <summary>The account to drop to, or null when the AppHost is not root and runs servers as itself.</summary>
    public static ServiceAccount? ForPostgres()
    {
        if (!RunningAsRoot)
        {
            return null;
        }

        var entry = File.ReadLines("/etc/passwd")
            .Select(line => line.Split(':'))
            .FirstOrDefault(fields => fields.Length > 3 && fields[0] == "postgres")
            ?? throw new InfrastructureUnavailableException(
                "The AppHost runs as root and PostgreSQL refuses to run as root, but there is no 'postgres' account to run it as. "
                + "Install PostgreSQL from your distribution's packages (Debian: apt-get install postgresql), which creates that account, "
                + "or run the AppHost as an ordinary user.");
        return new ServiceAccount(entry[0], int.Parse(entry[2]), int.Parse(entry[3]));
    }

    /// <summary>The command and leading arguments that run <paramref name="program"/> as this account.</summary>
    public (string Command, string[] Arguments) Wrap(string program) =>
        ("setpriv", [$"--reuid={UserId}", $"--regid={GroupId}", "--init-groups", "--", program]);

    public void TakeOwnership(string path)
    {
        using var process = Process.Start("chown", ["-R", $"{UserId}:{GroupId}", path]);
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"chown of '{path}' to {Name} failed with exit code {process.ExitCode}.");
        }
    }
}
