using System.Diagnostics;
using System.Globalization;

namespace TieredTenancy.Bench;

/// <summary>The process that listens on a local port (the Api replica itself, not the <c>dotnet run</c> that started it).</summary>
public static class ReplicaProcess
{
    public static int ListeningOn(int port)
    {
        using var ss = Process.Start(new ProcessStartInfo("ss", ["-ltnpH", $"sport = :{port}"]) { RedirectStandardOutput = true })
            ?? throw new InvalidOperationException("Could not run ss.");
        var output = ss.StandardOutput.ReadToEnd();
        ss.WaitForExit();
        var at = output.IndexOf("pid=", StringComparison.Ordinal);
        if (at < 0)
        {
            throw new InvalidOperationException($"No process listens on port {port} (ss: '{output.Trim()}').");
        }
        var digits = output[(at + 4)..].TakeWhile(char.IsAsciiDigit).ToArray();
        return int.Parse(digits, CultureInfo.InvariantCulture);
    }
}
