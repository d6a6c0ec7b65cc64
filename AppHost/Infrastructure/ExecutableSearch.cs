namespace TieredTenancy.AppHost.Infrastructure;

/// <summary>Finds programs the way a shell would.</summary>
public static class ExecutableSearch
{
    public static string? OnPath(string program)
    {
        if (Path.IsPathRooted(program))
        {
            return IsExecutable(program) ? program : null;
        }

        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        return path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, program))
            .FirstOrDefault(IsExecutable);
    }

    public static bool IsExecutable(string file) =>
        File.Exists(file)
        && (OperatingSystem.IsWindows()
            || (File.GetUnixFileMode(file) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0);
}
