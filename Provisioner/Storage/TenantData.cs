using TieredTenancy.Tenancy.Data;
using System.Text;
using Npgsql;
using TieredTenancy.Tenancy.Storage;

namespace TieredTenancy.Provisioner.Storage;

/// <summary>
/// One tenant's rows at one placement, as the control plane reaches them: a connection, the schema
/// its tables are in, and the tenant (every table is filtered on <c>tenant_id</c> in every tier).
/// What moves, exports and imports need: columns, counts, checksums, and raw binary copies.
/// </summary>
public sealed class TenantData(NpgsqlConnection connection, string schema, Guid tenantId)
{
    public NpgsqlConnection Connection => connection;

    public string Schema => schema;

    public Guid TenantId => tenantId;

    public string Table(string table) => $"{Sql.Id(schema)}.{Sql.Id(table)}";

    /// <summary>The tenant's rows of <paramref name="table"/>, optionally only those with the given ids or in the given range.</summary>
    public string RowsOf(string table, IReadOnlyCollection<Guid>? ids = null, KeyRange? range = null) =>
        $"{Table(table)} WHERE tenant_id = {Literal(tenantId)}" + (ids is null ? "" : $" AND id = ANY({Literal(ids)})") + range?.Condition;

    /// <summary>
    /// Text forms of rows (which checksums hash) must not depend on session settings: the same row
    /// reads the same in every database.
    /// </summary>
    public Task NormalizeSessionAsync(CancellationToken cancellationToken) =>
        Sql.ExecuteAsync(connection, "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 3", cancellationToken);

    public Task<IReadOnlyList<TableColumn>> ColumnsAsync(string table, CancellationToken cancellationToken, NpgsqlTransaction? transaction = null) =>
        TenantTables.ColumnsAsync(connection, schema, table, cancellationToken, transaction);

    /// <summary>
    /// Row count and an order-independent checksum (the sum of a 64-bit hash of each row's text over
    /// <paramref name="columns"/>, in that order): needs no ORDER BY, so it is much cheaper than an
    /// ordered md5 over the same rows (figures in Bench/README.md).
    /// </summary>
    public async Task<TableChecksum> ChecksumAsync(string table, IReadOnlyList<string> columns, CancellationToken cancellationToken,
        IReadOnlyCollection<Guid>? ids = null, NpgsqlTransaction? transaction = null)
    {
        var row = string.Join(", ", columns.Select(Sql.Id));
        await using var command = new NpgsqlCommand(
            $"SELECT count(*), coalesce(sum(hashtextextended(ROW({row})::text, 0)), 0)::text FROM {RowsOf(table, ids)}", connection, transaction);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new TableChecksum(reader.GetInt64(0), reader.GetString(1));
    }

    public async Task<long> CountAsync(string table, CancellationToken cancellationToken, NpgsqlTransaction? transaction = null)
    {
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM {RowsOf(table)}", connection, transaction);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// Copies the tenant's rows of <paramref name="table"/> (or only the given ids, or one range) from this
    /// placement into <paramref name="destinationTable"/> on <paramref name="destination"/>, as a raw
    /// binary COPY stream: PostgreSQL's own format passes through untouched, nothing is parsed here.
    /// </summary>
    public async Task CopyToAsync(NpgsqlConnection destination, string destinationTable, string table, IReadOnlyList<string> columns,
        CancellationToken cancellationToken, IReadOnlyCollection<Guid>? ids = null, KeyRange? range = null)
    {
        var list = string.Join(", ", columns.Select(Sql.Id));
        await using var reading = await connection.BeginRawBinaryCopyAsync(
            $"COPY (SELECT {list} FROM {RowsOf(table, ids, range)}) TO STDOUT (FORMAT binary)", cancellationToken);
        await using var writing = await destination.BeginRawBinaryCopyAsync(
            $"COPY {destinationTable} ({list}) FROM STDIN (FORMAT binary)", cancellationToken);
        try
        {
            await reading.CopyToAsync(writing, 1 << 16, cancellationToken);
        }
        catch
        {
            // Disposing an import stream commits what it got; a copy cut short must not.
            await writing.CancelAsync();
            throw;
        }
    }

    // Guids and uuid arrays are written as literals only where a statement takes no parameters (COPY).
    private static string Literal(Guid id) => $"'{id}'::uuid";

    private static string Literal(IReadOnlyCollection<Guid> ids)
    {
        var text = new StringBuilder("'{");
        text.AppendJoin(',', ids);
        return text.Append("}'::uuid[]").ToString();
    }
}

/// <summary>A table's rows for one tenant: how many, and the sum of their hashes.</summary>
public readonly record struct TableChecksum(long Rows, string Sum);
