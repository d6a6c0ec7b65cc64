using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using TieredTenancy.Tests.Stack;

namespace TieredTenancy.Tests.TenantPlane;

/// <summary>
/// Both replicas, eight tenants across every tier, interleaved requests for 20 seconds: every
/// response holds only its own tenant's rows. Each row carries its tenant's marker in its title.
/// </summary>
[Collection(StackCollection.Name)]
public sealed class ConcurrentTenantsTests(StackFixture stack)
{
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Interleaved_requests_on_both_replicas_only_ever_see_their_own_tenant()
    {
        var replicas = await Replicas.BaseAddressesAsync(stack.App, "api", expected: 2);
        string[] plans = ["free", "pro", "free", "business", "business", "business", "enterprise", "enterprise"];
        var tenants = new List<(TestTenant Tenant, string Marker, string Project, HttpClient[] Clients)>();
        foreach (var plan in plans)
        {
            var tenant = await TestTenants.CreateAsync(stack.App, plan);
            var marker = $"marker-{tenant.Id:N}";
            var project = (await tenant.CreateProjectAsync($"{marker} project")).GetProperty("id").GetString()!;
            for (var i = 0; i < 3; i++)
            {
                await tenant.CreateTaskAsync(project, $"{marker} task {i}");
            }
            tenants.Add((tenant, marker, project, replicas.Select(replica => TestTenants.Authorized(replica, tenant.Token)).ToArray()));
        }

        var violations = new ConcurrentBag<string>();
        var requests = 0;
        var deadline = DateTime.UtcNow + Duration;
        await Task.WhenAll(tenants.Select((entry, index) => Task.Run(async () =>
        {
            var round = index;
            while (DateTime.UtcNow < deadline)
            {
                var client = entry.Clients[round++ % entry.Clients.Length];
                var (path, writes) = (round % 4) switch
                {
                    0 => ($"/projects/{entry.Project}/tasks?pageSize=200", false),
                    1 => ("/projects?pageSize=200", false),
                    2 => ($"/projects/{entry.Project}", false),
                    _ => ($"/projects/{entry.Project}/tasks", true),
                };
                using var response = writes
                    ? await client.PostAsync(path, JsonContent($"{{\"title\":\"{entry.Marker} task w{round}\"}}"))
                    : await client.GetAsync(path);
                Interlocked.Increment(ref requests);
                var body = await response.Content.ReadAsStringAsync();
                if (!response.IsSuccessStatusCode)
                {
                    violations.Add($"{path} on {client.BaseAddress} answered {(int)response.StatusCode}: {body}");
                    continue;
                }
                Check(JsonDocument.Parse(body).RootElement, entry.Tenant.Id.ToString(), entry.Marker, violations, path);
            }
        })));

        Assert.Empty(violations);
        Assert.True(requests > 200, $"only {requests} requests ran in {Duration.TotalSeconds} s");
        foreach (var entry in tenants)
        {
            entry.Tenant.Dispose();
            foreach (var client in entry.Clients)
            {
                client.Dispose();
            }
        }
    }

    private static void Check(JsonElement json, string tenantId, string marker, ConcurrentBag<string> violations, string path)
    {
        var rows = json.TryGetProperty("items", out var items) ? items.EnumerateArray().ToList() : [json];
        foreach (var row in rows)
        {
            var title = row.TryGetProperty("title", out var t) ? t.GetString() : row.GetProperty("name").GetString();
            if (row.GetProperty("tenantId").GetString() != tenantId || title is null || !title.StartsWith(marker, StringComparison.Ordinal))
            {
                violations.Add($"{path}: tenant {tenantId} received {row}");
            }
        }
    }

    private static StringContent JsonContent(string json) => new(json, System.Text.Encoding.UTF8, "application/json");
}
