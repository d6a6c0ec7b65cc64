namespace TieredTenancy.Tenancy.Archives;

/// <summary>The rows of an archived CSV file, as an import loads them into another tenant.</summary>
public static class ArchivedRows
{
    /// <summary>
    /// Copies CSV text (a header row, then records) with the value of column
    /// <paramref name="tenantColumn"/> in every record replaced by <paramref name="tenantId"/>, as it
    /// streams, a buffer at a time. Quoted fields may hold commas, quotes and newlines (a quote
    /// toggles quoting, a doubled one twice); a tenant id is never quoted. With
    /// <paramref name="nextChunk"/>, every <paramref name="rowsPerChunk"/> records the rest goes to
    /// the writer it gives (a new COPY, so that each statement stays short), records never split.
    /// </summary>
    public static async Task CopyAsNewTenantAsync(TextReader source, TextWriter destination, int tenantColumn, Guid tenantId, CancellationToken cancellationToken,
        Func<CancellationToken, Task<TextWriter>>? nextChunk = null, int rowsPerChunk = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rowsPerChunk);
        var records = 0;
        ArgumentOutOfRangeException.ThrowIfNegative(tenantColumn);
        var replacement = tenantId.ToString();
        var input = new char[32 * 1024];
        var output = new char[input.Length + replacement.Length * 2];
        var (header, quoted, replaced, field) = (true, false, false, 0);
        int read;
        while ((read = await source.ReadAsync(input.AsMemory(), cancellationToken)) > 0)
        {
            var length = 0;
            for (var index = 0; index < read; index++)
            {
                var c = input[index];
                if (length > input.Length)
                {
                    await destination.WriteAsync(output.AsMemory(0, length), cancellationToken);
                    length = 0;
                }
                var inTenantField = !header && !quoted && field == tenantColumn;
                if (quoted)
                {
                    quoted = c != '"';
                }
                else if (c == '"')
                {
                    quoted = true;
                }
                else if (c is ',' or '\n')
                {
                    // An empty tenant field still gets the id.
                    if (inTenantField && !replaced)
                    {
                        replacement.CopyTo(output.AsSpan(length));
                        length += replacement.Length;
                    }
                    var endsRecord = c == '\n' && !header;
                    (field, replaced, header) = c == ',' ? (field + 1, replaced, header) : (0, false, false);
                    output[length++] = c;
                    if (endsRecord && nextChunk is not null && ++records % rowsPerChunk == 0)
                    {
                        await destination.WriteAsync(output.AsMemory(0, length), cancellationToken);
                        length = 0;
                        destination = await nextChunk(cancellationToken);
                    }
                    continue;
                }
                if (inTenantField)
                {
                    if (!replaced)
                    {
                        replacement.CopyTo(output.AsSpan(length));
                        length += replacement.Length;
                        replaced = true;
                    }
                    continue;
                }
                output[length++] = c;
            }
            await destination.WriteAsync(output.AsMemory(0, length), cancellationToken);
        }
    }
}
