using Npgsql;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Tenancy.Storage;

/// <summary>Small helpers for the DDL the control plane runs. Identifiers are generated and quoted; literals escaped.</summary>
public static class Sql
{
    public static string Id(string identifier) => TenantNames.Quote(identifier);

    /// <summary>A string literal for DDL, which takes no parameters (passwords in CREATE ROLE).</summary>
    public static string Literal(string value) => "'" + value.Replace("'", "''") + "'";

    public static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, NpgsqlTransaction? transaction = null)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task<T?> ScalarAsync<T>(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }
        var result = await command.ExecuteScalarAsync(cancellationToken);
        return result is null or DBNull ? default : (T)result;
    }

    /// <summary>A connection string for another database on the same server, unpooled (short-lived control work).</summary>
    public static string ForDatabase(string serverConnectionString, string database) =>
        new NpgsqlConnectionStringBuilder(serverConnectionString) { Database = database, Pooling = false }.ConnectionString;
}
