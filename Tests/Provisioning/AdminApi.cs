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

    /// <summary>
    /// Changes some of a plan's limits for one test and gives them back as they were read, whatever the
    /// test did: dispose the result. A failed restore is written to the error output, never thrown, so it
    /// cannot hide the test's own failure.
    /// </summary>
    public static async Task<PlanLimitsChange> ChangePlanLimitsAsync(this HttpClient admin, string plan, int? requestsPerMinute = null, int? requestBurst = null,
        int? concurrentRequests = null, int? maxProjects = null, int? storageMegabytes = null)
    {
        var limits = (await admin.GetFromJsonAsync<JsonElement>("/admin/plans")).EnumerateArray()
            .Single(candidate => candidate.GetProperty("name").GetString() == plan).GetProperty("limits");
        var before = new PlanLimitValues(limits.GetProperty("requestsPerMinute").GetInt32(), limits.GetProperty("requestBurst").GetInt32(),
            limits.GetProperty("concurrentRequests").GetInt32(), limits.GetProperty("maxProjects").GetInt32(), limits.GetProperty("storageMegabytes").GetInt32());
        await admin.SetPlanLimitsAsync(plan, requestsPerMinute ?? before.RequestsPerMinute, requestBurst ?? before.RequestBurst,
            concurrentRequests ?? before.ConcurrentRequests, maxProjects ?? before.MaxProjects, storageMegabytes ?? before.StorageMegabytes);
        return new PlanLimitsChange(admin, plan, before);
    }

    public sealed record PlanLimitValues(int RequestsPerMinute, int RequestBurst, int ConcurrentRequests, int MaxProjects, int StorageMegabytes);

    public sealed class PlanLimitsChange(HttpClient admin, string plan, PlanLimitValues before) : IAsyncDisposable
    {
        public PlanLimitValues Before => before;

        public async ValueTask DisposeAsync()
        {
            try
            {
                using var response = await admin.PutAsJsonAsync($"/admin/plans/{plan}/limits", new
                {
                    requestsPerMinute = before.RequestsPerMinute, requestBurst = before.RequestBurst, concurrentRequests = before.ConcurrentRequests,
                    maxProjects = before.MaxProjects, storageMegabytes = before.StorageMegabytes,
                });
                if (!response.IsSuccessStatusCode)
                {
                    await Console.Error.WriteLineAsync($"restoring the limits of plan {plan} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                }
            }
            catch (Exception exception)
            {
                await Console.Error.WriteLineAsync($"restoring the limits of plan {plan} failed: {exception.Message}");
            }
        }
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
