using System.Text;

namespace TieredTenancy.Bench;

/// <summary>The reports' tables: each column as wide as its widest cell, numbers right-aligned, a rule under the header row.</summary>
public static class TextTable
{
    public static void Append(StringBuilder text, IReadOnlyList<string[]> rows, params int[] leftAligned)
    {
        var widths = Enumerable.Range(0, rows[0].Length).Select(column => rows.Max(row => row[column].Length)).ToArray();
        foreach (var (row, index) in rows.Select((row, index) => (row, index)))
        {
            text.Append(string.Join("  ", row.Select((cell, column) => leftAligned.Contains(column) ? cell.PadRight(widths[column]) : cell.PadLeft(widths[column]))).TrimEnd())
                .Append('\n');
            if (index == 0)
            {
                text.Append(string.Join("  ", widths.Select(width => new string('-', width)))).Append('\n');
            }
        }
    }
}
