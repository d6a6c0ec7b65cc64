using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace TieredTenancy.AppHost.Infrastructure;

/// <summary>
/// Ready means: a real connection and query succeed, and (for a server) its databases exist.
/// Creating them here (idempotently) means nothing that waits for the server can see it without them.
/// </summary>
public sealed class PostgresReadinessCheck(IResourceWithConnectionString server, IReadOnlyDictionary<string, string> databasesToCreate) : IHealthCheck
{
    private volatile bool _databasesCreated;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var connectionString = await server.ConnectionStringExpression.GetValueAsync(cancellationToken);
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(cancellationToken);
            await using (var probe = new NpgsqlCommand("SELECT 1", connection))
            {
                await probe.ExecuteScalarAsync(cancellationToken);
            }

            if (!_databasesCreated)
            {
                foreach (var database in databasesToCreate.Values)
                {
                    await CreateIfMissingAsync(connection, database, cancellationToken);
                }
                _databasesCreated = true;
            }
            return HealthCheckResult.Healthy();
        }
        catch (Exception exception) when (exception is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy($"PostgreSQL '{server.Name}' does not answer yet.", exception);
        }
    }

    private static async Task CreateIfMissingAsync(NpgsqlConnection connection, string database, CancellationToken cancellationToken)
    {
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection)
        {
            Parameters = { new() { Value = database } },
        };
        if (await exists.ExecuteScalarAsync(cancellationToken) is not null)
        {
            return;
        }

        // Names come from the AppHost's own model, never from input; quoted all the same.
        var quoted = "\"" + database.Replace("\"", "\"\"") + "\"";
        await using var create = new NpgsqlCommand($"CREATE DATABASE {quoted}", connection);
        try
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.DuplicateDatabase)
        {
            // Another check got there first.
        }
    }
}
