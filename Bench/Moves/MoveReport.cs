using System.Globalization;
using System.Text;

namespace TieredTenancy.Bench.Moves;

/// <summary>The tier-move table: per direction, move time against the raw copy of the same rows, and what the writers saw.</summary>
public static class MoveReport
{
    public const double TargetRatio = 2.0;
    public const double TargetLongestWriteMs = 500;

    public static string Render(IReadOnlyList<MoveMeasurement> moves)
    {
        var text = new StringBuilder();
        Line(text, $"TieredTenancy tier-move benchmark ({DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC; {BuildInfo.Configuration}; {Environment.ProcessorCount} cores; Local mode, ephemeral)");
        Line(text, $"one tenant of {moves[0].Rows} rows moved row -> schema -> database -> row by plan changes, one writer per Api replica creating tasks throughout;");
        Line(text, "raw: COPY (FORMAT binary) of the same rows, source to scratch tables of the target tier's shape (indexes, foreign keys), just before each move");
        Line(text, "");
        string[] header = ["move", "rows", "raw copy", "to flip", "total", "total/raw", "target", "freeze", "writes", "longest write", "target", "lost", "errors", "status"];
        var rows = new List<string[]> { header };
        foreach (var move in moves)
        {
            var ratio = move.Total.TotalMilliseconds / move.Raw.TotalMilliseconds;
            rows.Add(
            [
                $"{move.From} -> {move.To}", move.Rows.ToString(CultureInfo.InvariantCulture),
                Seconds(move.Raw), Seconds(move.ToFlip), Seconds(move.Total),
                ratio.ToString("0.00", CultureInfo.InvariantCulture) + "x", ratio <= TargetRatio ? "PASS" : "MISS",
                double.IsNaN(move.FreezeMs) ? "-" : $"{move.FreezeMs:0} ms",
                move.Writes.ToString(CultureInfo.InvariantCulture), $"{move.LongestWriteMs:0} ms",
                move.LongestWriteMs <= TargetLongestWriteMs ? "PASS" : "MISS",
                move.LostWrites.ToString(CultureInfo.InvariantCulture), move.Errors.ToString(CultureInfo.InvariantCulture), move.Status,
            ]);
        }
        TextTable.Append(text, rows, 0);
        Line(text, "");
        Line(text, $"targets: total <= {TargetRatio}x raw; longest write <= {TargetLongestWriteMs} ms; 0 lost writes; 0 errors. 'to flip': until the registry names the new placement; " +
            "'total' also removes the source; 'freeze': how long writes were held");
        foreach (var move in moves.Where(move => move.ErrorSamples.Count > 0))
        {
            Line(text, $"{move.From} -> {move.To} errors: {string.Join(" | ", move.ErrorSamples)}");
        }
        return text.ToString();
    }

    private static string Seconds(TimeSpan time) => time.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture) + " s";

    private static void Line(StringBuilder text, string line) => text.Append(line).Append('\n');
}
