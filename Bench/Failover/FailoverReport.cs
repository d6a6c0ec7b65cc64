using System.Globalization;
using System.Text;

namespace TieredTenancy.Bench.Failover;

/// <summary>The failover table: per kill, how soon the surviving replica took the move over and ended it, and what the writers saw.</summary>
public static class FailoverReport
{
    public static string Render(IReadOnlyList<FailoverMeasurement> kills)
    {
        var text = new StringBuilder();
        Line(text, $"TieredTenancy failover benchmark ({DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC; {BuildInfo.Configuration}; {Environment.ProcessorCount} cores; Local mode, ephemeral)");
        Line(text, $"one row tenant of {kills[0].Rows} rows moved to the schema tier, one writer per Api replica creating tasks throughout; the Provisioner replica");
        Line(text, "running the move is killed (SIGKILL) in the named phase, and the other replica takes the operation over once its lease lapses");
        Line(text, "");
        string[] header = ["killed in", "status", "attempts", "kill -> takeover", "kill -> end", "writes", "longest write", "lost", "errors"];
        var rows = new List<string[]> { header };
        foreach (var kill in kills)
        {
            rows.Add(
            [
                kill.KilledIn, kill.Status, kill.Attempts.ToString(CultureInfo.InvariantCulture),
                kill.KillToTakeover == TimeSpan.MinValue ? "-" : Seconds(kill.KillToTakeover), Seconds(kill.KillToEnd),
                kill.Writes.ToString(CultureInfo.InvariantCulture), $"{kill.LongestWriteMs:0} ms",
                kill.LostWrites.ToString(CultureInfo.InvariantCulture), kill.Errors.ToString(CultureInfo.InvariantCulture),
            ]);
        }
        TextTable.Append(text, rows, 0);
        Line(text, "");
        Line(text, "'kill -> takeover': until the next attempt's fence (older backends ended); 'kill -> end': until the operation ended. Expected: rolledBack when killed " +
            "before the flip, succeeded after it; 0 lost writes, 0 errors");
        foreach (var kill in kills.Where(kill => kill.ErrorSamples.Count > 0))
        {
            Line(text, $"{kill.KilledIn} errors: {string.Join(" | ", kill.ErrorSamples)}");
        }
        return text.ToString();
    }

    private static string Seconds(TimeSpan time) => time.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture) + " s";

    private static void Line(StringBuilder text, string line) => text.Append(line).Append('\n');
}
