using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Npgsql;
using StackExchange.Redis;
using TieredTenancy.Tests.Stack;

namespace TieredTenancy.Tests.Moves;

/// <summary>A tenant's placement as the admin API reports it, and what the tests read there directly.</summary>
public sealed record TestPlacement(string Server, string Database, string Schema, long Epoch)
{
    public static TestPlacement From(JsonElement tenant)
    {
        var placement = tenant.GetProperty("placement");
        return new(placement.GetProperty("server").GetString()!, placement.GetProperty("database").GetString()!,
            placement.GetProperty("schema").GetString()!, placement.GetProperty("epoch").GetInt64());
    }

    public static TestPlacement Parse(string reported)
    {
        // An operation's report names a placement "<tier> server/database/schema@epoch".
        var where = reported[(reported.IndexOf(' ') + 1)..];
        var parts = where.Split('@');
        var names = parts[0].Split('/');
        return new(names[0], names[1], names[2], long.Parse(parts[1]));
    }

    public bool IsShared => Server == "postgres";

    /// <summary>A superuser connection to the placement's database.</summary>
    public Task<NpgsqlConnection> OpenAsync(DistributedApplication app) =>
        IsShared ? app.OpenAsync("tenants") : app.OpenAsync(Server, Database);

    /// <summary>Every row of the tenant in every table, as text in id order (session settings fixed, so two databases compare).</summary>
    public async Task<Dictionary<string, List<string>>> RowsAsync(DistributedApplication app, Guid tenantId)
    {
        await using var connection = await OpenAsync(app);
        await connection.ExecuteAsync("SET TimeZone = 'UTC'");
        var rows = new Dictionary<string, List<string>>();
        foreach (var table in new[] { "projects", "tasks", "comments", "audit_entries" })
        {
            rows[table] = [];
            await using var command = new NpgsqlCommand($"SELECT t::text FROM \"{Schema}\".\"{table}\" t WHERE tenant_id = $1 ORDER BY id", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows[table].Add(reader.GetString(0));
            }
        }
        return rows;
    }

    /// <summary>The tenant's rows per table here.</summary>
    public async Task<Dictionary<string, long>> CountAsync(DistributedApplication app, Guid tenantId)
    {
        await using var connection = await OpenAsync(app);
        var counts = new Dictionary<string, long>();
        foreach (var table in new[] { "projects", "tasks", "comments", "audit_entries" })
        {
            counts[table] = await connection.ScalarAsync<long>($"SELECT count(*) FROM \"{Schema}\".\"{table}\" WHERE tenant_id = $1", tenantId);
        }
        return counts;
    }

    /// <summary>Nothing of the tenant is left here: no rows in shared tables, or no schema and role, or no database and login.</summary>
    public async Task AssertGoneAsync(DistributedApplication app, Guid tenantId)
    {
        if (Schema == "public" && IsShared)
        {
            await using var shared = await app.OpenAsync("tenants");
            foreach (var table in new[] { "projects", "tasks", "comments", "audit_entries" })
            {
                Assert.Equal(0L, await shared.ScalarAsync<long>($"SELECT count(*) FROM public.\"{table}\" WHERE tenant_id = $1", tenantId));
            }
            return;
        }
        if (IsShared)
        {
            await using var shared = await app.OpenAsync("tenants");
            Assert.Equal(0L, await shared.ScalarAsync<long>("SELECT count(*) FROM pg_namespace WHERE nspname = $1", Schema));
            Assert.Equal(0L, await shared.ScalarAsync<long>("SELECT count(*) FROM pg_roles WHERE rolname = $1", Schema));
            return;
        }
        await using var server = await app.OpenAsync(Server);
        Assert.Equal(0L, await server.ScalarAsync<long>("SELECT count(*) FROM pg_database WHERE datname = $1", Database));
        Assert.Equal(0L, await server.ScalarAsync<long>("SELECT count(*) FROM pg_roles WHERE rolname = $1", Database));
    }
}

/// <summary>Operations as the tests watch them, and the pause points of the Provisioner's fault plans (test runs only).</summary>
public static class OperationWatch
{
    public static async Task<JsonElement> WaitForEndAsync(HttpClient admin, string location, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(90));
        while (true)
        {
            HttpResponseMessage response;
            try
            {
                response = await admin.GetAsync(location);
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                // A replica killed under the proxy: its connections reset until the proxy stops sending there.
                await Task.Delay(200);
                continue;
            }
            using var answered = response;
            var body = await response.Content.ReadAsStringAsync();
            if (response.IsSuccessStatusCode)
            {
                var operation = JsonDocument.Parse(body).RootElement;
                if (operation.GetProperty("status").GetString() is not ("pending" or "running"))
                {
                    return operation;
                }
                Assert.True(DateTime.UtcNow < deadline, $"operation {location} did not end: {body}");
            }
            else
            {
                // The Provisioner may be restarting.
                Assert.True(DateTime.UtcNow < deadline, $"operation {location} could not be read: {(int)response.StatusCode} {body}");
            }
            await Task.Delay(200);
        }
    }

    public static async Task<IDatabase> RedisAsync(DistributedApplication app) =>
        (await ConnectionMultiplexer.ConnectAsync((await app.GetConnectionStringAsync("cache"))!)).GetDatabase();

    public static async Task WaitUntilPausedAsync(IDatabase redis, Guid operationId, string step, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(90));
        while ((string?)await redis.StringGetAsync($"tt:test:paused:{operationId}") != step)
        {
            Assert.True(DateTime.UtcNow < deadline, $"operation {operationId} did not pause at {step}");
            await Task.Delay(100);
        }
    }

    public static Task ReleaseAsync(IDatabase redis, Guid operationId, string step) =>
        redis.StringSetAsync($"tt:test:released:{operationId}:{step}", "1", TimeSpan.FromHours(1));

    /// <summary>When the operation started and finished, as the Provisioner recorded it.</summary>
    public static (DateTimeOffset StartedAt, DateTimeOffset FinishedAt) Interval(JsonElement operation) =>
        (operation.GetProperty("startedAt").GetDateTimeOffset(), operation.GetProperty("finishedAt").GetDateTimeOffset());

    public static Guid IdOf(string location) => Guid.Parse(location[(location.LastIndexOf('/') + 1)..]);

    /// <summary>Starts a move of the tenant to <paramref name="plan"/> that pauses at <paramref name="step"/>; returns once it stands there.</summary>
    public static async Task<(string Location, Guid OperationId)> StartPausedMoveAsync(HttpClient admin, IDatabase redis, Guid tenantId, string plan, string step)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/admin/tenants/{tenantId}/plan")
        {
            Content = System.Net.Http.Json.JsonContent.Create(new { plan }),
            Headers = { { "X-Fault-Injection", $"pause:{step}" } },
        };
        using var started = await admin.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.Accepted, started.StatusCode);
        var location = started.Headers.Location!.ToString();
        var operationId = IdOf(location);
        await WaitUntilPausedAsync(redis, operationId, step);
        return (location, operationId);
    }
}
