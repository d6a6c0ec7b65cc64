using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace TieredTenancy.Tests.Stack;

/// <summary>What tests reach in a running stack: secrets, tokens, authorized clients, databases.</summary>
public static class StackAccess
{
    public static async Task<string> ParameterAsync(this DistributedApplication app, string name)
    {
        var parameter = app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<ParameterResource>().Single(p => p.Name == name);
        return (await parameter.GetValueAsync(CancellationToken.None))!;
    }

    public static async Task<HttpResponseMessage> RequestTokenAsync(this DistributedApplication app, string clientId, string clientSecret)
    {
        using var client = app.CreateHttpClient("provisioner");
        return await client.RequestTokenAsync(clientId, clientSecret);
    }

    /// <summary>A token request to the Provisioner the client points at (one replica's own address, say).</summary>
    public static async Task<HttpResponseMessage> RequestTokenAsync(this HttpClient client, string clientId, string clientSecret) =>
        await client.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = clientId,
            ["client_secret"] = clientSecret,
        }));

    public static async Task<string> TokenAsync(this DistributedApplication app, string clientId, string clientSecret)
    {
        using var response = await app.RequestTokenAsync(clientId, clientSecret);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"token request for {clientId} answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!;
    }

    public static async Task<HttpClient> AdminClientAsync(this DistributedApplication app)
    {
        var token = await app.TokenAsync("platform-admin", await app.ParameterAsync("platform-admin-secret"));
        return app.Authorized("provisioner", token);
    }

    public static HttpClient Authorized(this DistributedApplication app, string resource, string token)
    {
        var client = app.CreateHttpClient(resource);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>The shared tenant database as the Api's own role (tt_app), as the Api connects.</summary>
    public static async Task<NpgsqlConnectionStringBuilder> AppRoleConnectionAsync(this DistributedApplication app) =>
        new(await app.GetConnectionStringAsync("tenants"))
        {
            Username = "tt_app",
            Password = await app.ParameterAsync("app-db-password"),
            Pooling = false,
        };

    public static async Task<NpgsqlConnection> OpenAsync(this DistributedApplication app, string connectionName, string? database = null)
    {
        var builder = new NpgsqlConnectionStringBuilder(await app.GetConnectionStringAsync(connectionName)) { Pooling = false };
        if (database is not null)
        {
            builder.Database = database;
        }
        var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public static async Task<T?> ScalarAsync<T>(this NpgsqlConnection connection, string sql, params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }
        var result = await command.ExecuteScalarAsync();
        return result is null or DBNull ? default : (T)Convert.ChangeType(result, Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T));
    }

    /// <summary>Runs a statement; returns the rows it affected.</summary>
    public static async Task<int> ExecuteAsync(this NpgsqlConnection connection, string sql, params object[] parameters)
    {
        // Seeding a large tenant takes seconds, and more while a build shares the two cores: not Npgsql's 30 s default.
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 300 };
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }
        return await command.ExecuteNonQueryAsync();
    }

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string path, object body) =>
        client.PostAsJsonAsync(path, body);
}
