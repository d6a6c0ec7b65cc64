using Npgsql;

namespace TieredTenancy.Tenancy.Data;

/// <summary>
/// A tenant's rows of one table cut into ranges of its ids, at most a given number of rows each, read at the caller's snapshot: a COPY of a big table becomes several statements, each
/// short enough to finish inside an operation's <c>statement_timeout</c> (shorter than its lease).
/// </summary>
public static class KeyRanges
{
    /// <summary>
    /// The default size. 50,000 rows of COPY into the indexed shared tables (a foreign-key check per
    /// row) took more than the 8 s statement timeout on this machine under load (Bench/README.md,
    /// 2026-12-04); 10,000 take about a second there.
    /// </summary>
    public const int RowsPerStatement = 10_000;

    /// <summary>The ranges of <paramref name="rows"/> rows of the tenant in <paramref name="qualifiedTable"/>, in id order; one range when they fit one.</summary>
    public static async Task<IReadOnlyList<KeyRange>> OfAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string qualifiedTable, Guid tenantId,
        long rows, int rowsPerRange, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rowsPerRange);
        if (rows <= rowsPerRange)
        {
            return [new KeyRange(null, null, rows)];
        }
        await using var command = new NpgsqlCommand($"""
            SELECT id FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM {qualifiedTable} WHERE tenant_id = $1) numbered
            WHERE n % $2 = 0 ORDER BY id
            """, connection, transaction)
        {
            Parameters = { new() { Value = tenantId }, new() { Value = (long)rowsPerRange } },
        };
        var ranges = new List<KeyRange>();
        Guid? after = null;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var through = reader.GetGuid(0);
                ranges.Add(new KeyRange(after, through, rowsPerRange));
                after = through;
            }
        }
        ranges.Add(new KeyRange(after, null, rows - (long)ranges.Count * rowsPerRange));
        return ranges;
    }
}

/// <summary>Ids after <see cref="After"/> up to and including <see cref="Through"/> (open where null), and how many rows that was at the snapshot.</summary>
public readonly record struct KeyRange(Guid? After, Guid? Through, long Rows)
{
    /// <summary>The range as conditions to append to a WHERE clause (literals: COPY takes no parameters).</summary>
    public string Condition => (After is { } after ? $" AND id > '{after}'::uuid" : "") + (Through is { } through ? $" AND id <= '{through}'::uuid" : "");
}
