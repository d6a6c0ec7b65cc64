using System.Diagnostics;

namespace TieredTenancy.AppHost.Infrastructure;

/// <summary>Creates (initdb) or readies a data folder before its server starts.</summary>
public static class PostgresDataFolder
{
    public static void Prepare(PostgresBinaries binaries, ServiceAccount? account, string dataDirectory, string password)
    {
        if (File.Exists(Path.Combine(dataDirectory, "PG_VERSION")))
        {
            // Kept from an earlier run: make its superuser password match this run's secret.
            SetPassword(binaries, account, dataDirectory, password);
            return;
        }

        Directory.CreateDirectory(dataDirectory);
        FileModes.OwnerOnly(dataDirectory, directory: true);
        var passwordFile = Path.Combine(dataDirectory, "..", $".{Path.GetFileName(dataDirectory)}.pwfile");
        File.WriteAllText(passwordFile, password);
        FileModes.OwnerOnly(passwordFile);
        try
        {
            account?.TakeOwnership(dataDirectory);
            account?.TakeOwnership(passwordFile);
            RunAs(account, binaries.InitDb,
                ["-D", dataDirectory, "-U", LocalPostgresServerResource.UserName, $"--pwfile={passwordFile}",
                 "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8", "--no-instructions"],
                standardInput: null);
        }
        catch
        {
            // A half-made cluster would fail every later start; the next run starts clean.
            Directory.Delete(dataDirectory, recursive: true);
            throw;
        }
        finally
        {
            File.Delete(passwordFile);
        }
    }

    private static void SetPassword(PostgresBinaries binaries, ServiceAccount? account, string dataDirectory, string password)
    {
        var literal = "'" + password.Replace("'", "''") + "'";
        RunAs(account, binaries.Postgres,
            ["--single", "-D", dataDirectory, "-c", "unix_socket_directories=", "-c", "listen_addresses=", "postgres"],
            standardInput: $"ALTER ROLE {LocalPostgresServerResource.UserName} WITH PASSWORD {literal};\n");
    }

    private static void RunAs(ServiceAccount? account, string program, string[] arguments, string? standardInput)
    {
        var (command, leading) = account?.Wrap(program) ?? (program, []);
        using var process = Process.Start(new ProcessStartInfo(command, [.. leading, .. arguments])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        if (standardInput is not null)
        {
            process.StandardInput.Write(standardInput);
        }
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(program)} did not finish within 2 minutes.");
        }
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{Path.GetFileName(program)} failed with exit code {process.ExitCode}: {errors.Result}{output.Result}");
        }
    }
}
