using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using TieredTenancy.Tests.Provisioning;
using TieredTenancy.Tests.Stack;

namespace TieredTenancy.Tests.TenantPlane;

/// <summary>A tenant made through the admin API, with a client token and an Api client of its own.</summary>
public sealed record TestTenant(Guid Id, string Slug, string Plan, string Isolation, string Token, HttpClient Api) : IDisposable
{
    public void Dispose() => Api.Dispose();

    public async Task<JsonElement> CreateProjectAsync(string name)
    {
        using var response = await Api.PostAsJsonAsync("/projects", new { name });
        return await ExpectAsync(response, HttpStatusCode.Created);
    }

    public async Task<JsonElement> CreateTaskAsync(string projectId, string title)
    {
        using var response = await Api.PostAsJsonAsync($"/projects/{projectId}/tasks", new { title, status = "todo", assignee = "sam", dueOn = "2027-01-31" });
        return await ExpectAsync(response, HttpStatusCode.Created);
    }

    public async Task<JsonElement> CreateCommentAsync(string taskId, string body)
    {
        using var response = await Api.PostAsJsonAsync($"/tasks/{taskId}/comments", new { body });
        return await ExpectAsync(response, HttpStatusCode.Created);
    }

    public static async Task<JsonElement> ExpectAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.PathAndQuery} answered {(int)response.StatusCode}, expected {(int)expected}: {body}");
        return body.Length == 0 ? default : JsonDocument.Parse(body).RootElement;
    }

    /// <summary>A problem details answer (RFC 7807) with <paramref name="expected"/>, whose text holds <paramref name="detail"/> when one is given; disposes the response.</summary>
    public static async Task ExpectProblemAsync(HttpResponseMessage response, HttpStatusCode expected, string? detail = null)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == expected,
                $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.PathAndQuery} answered {(int)response.StatusCode}, expected {(int)expected}: {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            if (detail is not null)
            {
                Assert.Contains(detail, body);
            }
        }
    }
}

public static class TestTenants
{
    public static readonly string[] Plans = ["free", "business", "enterprise"];

    public static string PlanFor(string isolation) => isolation switch
    {
        "row" => "pro",
        "schema" => "business",
        _ => "enterprise",
    };

    public static string IsolationOf(string plan) => plan switch
    {
        "free" or "pro" => "row",
        "business" => "schema",
        _ => "database",
    };

    /// <summary>Creates a task through a tenant's client; returns its id.</summary>
    public static async Task<string> CreateTaskAsync(this HttpClient client, string projectId, string title)
    {
        using var response = await client.PostAsJsonAsync($"/projects/{projectId}/tasks", new { title });
        return (await TestTenant.ExpectAsync(response, HttpStatusCode.Created)).GetProperty("id").GetString()!;
    }

    public static async Task<TestTenant> CreateAsync(DistributedApplication app, string plan, Uri? apiBaseAddress = null)
    {
        using var admin = await app.AdminClientAsync();
        var tenant = await admin.CreateTenantAsync(plan);
        var id = tenant.GetProperty("id").GetString()!;
        var (clientId, secret) = await admin.CreateClientAsync(id, "admin");
        var token = await app.TokenAsync(clientId, secret);
        var api = apiBaseAddress is null ? app.Authorized("api", token) : Authorized(apiBaseAddress, token);
        return new TestTenant(Guid.Parse(id), tenant.GetProperty("slug").GetString()!, plan, tenant.GetProperty("isolation").GetString()!, token, api);
    }

    public static HttpClient Authorized(Uri baseAddress, string token) =>
        new() { BaseAddress = baseAddress, DefaultRequestHeaders = { Authorization = new("Bearer", token) } };
}
