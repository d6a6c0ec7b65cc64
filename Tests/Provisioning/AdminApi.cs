using System.Net.Http.Json;
using System.Text.Json;
using TieredTenancy.Tests.Stack;

namespace TieredTenancy.Tests.Provisioning;

/// <summary>The admin API as the tests drive it.</summary>
public static class AdminApi
{
    private static int _counter;

    /// <summary>A slug no other test uses.</summary>
    public static string NewSlug(string prefix = "t") =>
        $"{prefix}-{Environment.ProcessId % 10000}-{Interlocked.Increment(ref _counter)}-{Guid.NewGuid().ToString("N")[..6]}";

    public static async Task<JsonElement> CreateTenantAsync(this HttpClient admin, string plan, string? slug = null, string? name = null)
    {
        slug ??= NewSlug(plan);
        using var response = await admin.PostJsonAsync("/admin/tenants", new { slug, name = name ?? $"Tenant {slug}", plan });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, $"create {plan} answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement;
    }

    /// <summary>Sets a plan's limits (plans are data); the Api replicas get them through the registry broadcast.</summary>
    public static async Task SetPlanLimitsAsync(this HttpClient admin, string plan, int requestsPerMinute, int requestBurst, int concurrentRequests,
        int maxProjects, int storageMegabytes)
    {
        using var response = await admin.PutAsJsonAsync($"/admin/plans/{plan}/limits",
            new { requestsPerMinute, requestBurst, concurrentRequests, maxProjects, storageMegabytes });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.OK, $"plan limits of {plan} answered {(int)response.StatusCode}: {body}");
    }

    public static async Task<(string ClientId, string ClientSecret)> CreateClientAsync(this HttpClient admin, string tenantId, string role = "member")
    {
        using var response = await admin.PostJsonAsync($"/admin/tenants/{tenantId}/clients", new { name = "test client", role });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, $"create client answered {(int)response.StatusCode}: {body}");
        var json = JsonDocument.Parse(body).RootElement;
        return (json.GetProperty("clientId").GetString()!, json.GetProperty("clientSecret").GetString()!);
    }
}
