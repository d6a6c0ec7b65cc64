using System.Globalization;
using System.Text;

namespace TieredTenancy.Bench.Archives;

/// <summary>The archive table: export, import and offboarding per tier, each beside the raw export of the same rows.</summary>
public static class ArchiveReport
{
    public const double TargetRatio = 2;

    public static string Render(IReadOnlyList<ArchiveMeasurement> archives)
    {
        var text = new StringBuilder();
        text.Append($"TieredTenancy archive benchmark ({DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC; {BuildInfo.Configuration}; {Environment.ProcessorCount} cores; Local mode, ephemeral)\n");
        text.Append("per tier one tenant seeded in SQL; raw: COPY (… ORDER BY id) TO STDOUT (FORMAT csv, HEADER) of every table, read to the end, in one snapshot\n");
        text.Append("export: GET /admin/tenants/{id}/export to a file; import: that archive as a new tenant of the same plan, to the operation's end; " +
            "offboard: DELETE /admin/tenants/{id} to the operation's end (archive, delete, verify, certify)\n\n");
        string[] header = ["tier", "rows", "raw", "export", "x raw", "archive", "import", "x raw", "offboard", "x raw", "import", "offboard"];
        var rows = new List<string[]> { header };
        foreach (var archive in archives)
        {
            rows.Add(
            [
                archive.Tier, archive.Rows.ToString(CultureInfo.InvariantCulture), Seconds(archive.Raw),
                Seconds(archive.Export), Ratio(archive.Export, archive.Raw), $"{archive.ArchiveBytes / 1048576.0:0.0} MiB",
                Seconds(archive.Import), Ratio(archive.Import, archive.Raw),
                Seconds(archive.Offboard), Ratio(archive.Offboard, archive.Raw),
                archive.ImportStatus, archive.OffboardStatus,
            ]);
        }
        TextTable.Append(text, rows, 0);
        text.Append($"\ntarget: each <= {TargetRatio:0}x raw\n");
        return text.ToString();
    }

    private static string Seconds(TimeSpan time) => time.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture) + " s";

    private static string Ratio(TimeSpan time, TimeSpan raw)
    {
        var ratio = time.TotalMilliseconds / raw.TotalMilliseconds;
        return ratio.ToString("0.0", CultureInfo.InvariantCulture) + "x" + (ratio <= TargetRatio ? "" : " MISS");
    }
}
