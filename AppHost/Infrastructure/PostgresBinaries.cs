using System.Diagnostics;
using System.Text.RegularExpressions;

namespace TieredTenancy.AppHost.Infrastructure;

/// <summary>A PostgreSQL installation found on this machine: the folder holding postgres and initdb.</summary>
public sealed partial record PostgresBinaries(string BinDirectory, Version Version)
{
    public string Postgres => Path.Combine(BinDirectory, "postgres");
    public string InitDb => Path.Combine(BinDirectory, "initdb");

    /// <summary>The folders that were looked at, for the error message when none holds PostgreSQL.</summary>
    public static IReadOnlyList<string> CandidateDirectories(InfrastructureOptions options)
    {
        if (options.PostgresBinDirectories is { Length: > 0 } configured)
        {
            return configured;
        }

        var candidates = new List<string>();
        if (ExecutableSearch.OnPath("postgres") is { } onPath)
        {
            // /usr/local/bin/postgres is often a link into the real installation: name that folder instead.
            var real = new FileInfo(onPath).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? onPath;
            candidates.Add(Path.GetDirectoryName(real)!);
        }
        if (ExecutableSearch.OnPath("pg_config") is { } pgConfig && Run(pgConfig, "--bindir") is { Length: > 0 } binDir)
        {
            candidates.Add(binDir);
        }
        const string debianRoot = "/usr/lib/postgresql";
        if (Directory.Exists(debianRoot))
        {
            candidates.AddRange(Directory.GetDirectories(debianRoot).Select(version => Path.Combine(version, "bin")));
        }
        return candidates.Distinct().ToList();
    }

    /// <summary>The newest installation among the candidates, or null when none has both postgres and initdb.</summary>
    public static PostgresBinaries? FindNewest(IEnumerable<string> directories) =>
        directories
            .Where(directory => ExecutableSearch.IsExecutable(Path.Combine(directory, "postgres"))
                && ExecutableSearch.IsExecutable(Path.Combine(directory, "initdb")))
            .Select(directory => ParseVersion(Run(Path.Combine(directory, "postgres"), "--version")) is { } version
                ? new PostgresBinaries(directory, version)
                : null)
            .OfType<PostgresBinaries>()
            .MaxBy(binaries => binaries.Version);

    private static Version? ParseVersion(string? versionOutput) =>
        versionOutput is not null && VersionPattern().Match(versionOutput) is { Success: true } match
            ? Version.Parse(match.Groups[2].Success ? match.Value : match.Groups[1].Value + ".0")
            : null;

    [GeneratedRegex(@"(\d+)(\.\d+)?")]
    private static partial Regex VersionPattern();

    private static string? Run(string program, string argument)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(program, [argument])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            var output = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit(5000);
            return process.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
