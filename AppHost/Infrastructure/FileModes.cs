namespace TieredTenancy.AppHost.Infrastructure;

/// <summary>Unix permissions for the local servers' files; no-ops where the platform has none.</summary>
public static class FileModes
{
    /// <summary>Readable by its owner only: passwords, PGDATA.</summary>
    public static void OwnerOnly(string path, bool directory = false)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | (directory ? UnixFileMode.UserExecute : 0));
        }
    }

    /// <summary>A folder other accounts (the postgres account, when the AppHost is root) may pass through.</summary>
    public static void Traversable(string directory)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }
    }
}
