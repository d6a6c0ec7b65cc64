using System.Net;
using System.Net.Http.Json;
using TieredTenancy.Tests.Provisioning;
using TieredTenancy.Tests.Stack;
using TieredTenancy.Tests.TenantPlane;
using Xunit.Abstractions;

namespace TieredTenancy.Tests.Capacity;

/// <summary>Usage per tenant: requests counted by the replicas, rows and bytes per table where its data lives, and the tenants over their plan's limits.</summary>
[Collection(CapacityCollection.Name)]
public sealed class UsageTests(CapacityFixture stack, ITestOutputHelper output)
{
    [Theory]
    [InlineData("pro")]
    [InlineData("business")]
    [InlineData("enterprise")]
    public async Task A_tenants_usage_counts_its_requests_on_both_replicas_and_its_rows_and_bytes_per_table(string plan)
    {
        var replicas = await Replicas.BaseAddressesAsync(stack.App, "api", 2);
        using var tenant = await TestTenants.CreateAsync(stack.App, plan);
        var project = (await tenant.CreateProjectAsync("Usage")).GetProperty("id").GetString()!;
        for (var i = 0; i < 3; i++)
        {
            await tenant.CreateTaskAsync(project, $"task {i}");
        }
        foreach (var replica in replicas)
        {
            using var client = TestTenants.Authorized(replica, tenant.Token);
            for (var i = 0; i < 5; i++)
            {
                await TestTenant.ExpectAsync(await client.GetAsync("/projects"), HttpStatusCode.OK);
            }
        }

        using var admin = await stack.App.AdminClientAsync();
        // 1 project + 3 tasks + 10 reads: each replica adds its counts to Redis once a second.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var usage = await TestTenant.ExpectAsync(await admin.GetAsync($"/admin/tenants/{tenant.Id}/usage"), HttpStatusCode.OK);
        while (RequestsToday(usage, plan) < 14 && clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200));
            usage = await TestTenant.ExpectAsync(await admin.GetAsync($"/admin/tenants/{tenant.Id}/usage"), HttpStatusCode.OK);
        }
        output.WriteLine($"counted after {clock.Elapsed.TotalSeconds:0.0} s: {usage}");
        Assert.Equal(14, RequestsToday(usage, plan));
        var tables = usage.GetProperty("tables").EnumerateArray().ToDictionary(table => table.GetProperty("table").GetString()!);
        Assert.Equal(1, tables["projects"].GetProperty("rows").GetInt64());
        Assert.Equal(3, tables["tasks"].GetProperty("rows").GetInt64());
        // Bytes per table as PostgreSQL measures the tenant's rows where they live: at least the text they hold, and every table with rows takes some.
        Assert.All(tables.Values.Where(table => table.GetProperty("rows").GetInt64() > 0), table => Assert.True(table.GetProperty("bytes").GetInt64() > 0, table.ToString()));
        Assert.True(tables["tasks"].GetProperty("bytes").GetInt64() >= "task 0".Length * 3, tables["tasks"].ToString());
        Assert.Empty(usage.GetProperty("overLimits").EnumerateArray());
    }

    [Fact]
    public async Task Tenants_over_their_plans_limits_are_listed_as_candidates_for_an_upgrade()
    {
        using var admin = await stack.App.AdminClientAsync();
        using var over = await TestTenants.CreateAsync(stack.App, "pro");
        using var within = await TestTenants.CreateAsync(stack.App, "pro");
        await over.CreateProjectAsync("one");
        await over.CreateProjectAsync("two");
        await within.CreateProjectAsync("one");
        // The plan shrinks under its tenants: one now holds more projects than it allows.
        await using (await admin.ChangePlanLimitsAsync("pro", maxProjects: 1))
        {
            var listed = await TestTenant.ExpectAsync(await admin.GetAsync("/admin/tenants?overLimits=true&plan=pro&pageSize=200"), HttpStatusCode.OK);
            var ids = listed.GetProperty("items").EnumerateArray().Select(item => item.GetProperty("id").GetGuid()).ToList();
            Assert.Contains(over.Id, ids);
            Assert.DoesNotContain(within.Id, ids);
            var usage = await TestTenant.ExpectAsync(await admin.GetAsync($"/admin/tenants/{over.Id}/usage"), HttpStatusCode.OK);
            Assert.Equal("projects: 2 of 1", usage.GetProperty("overLimits")[0].GetString());
        }
    }

    private static long RequestsToday(System.Text.Json.JsonElement usage, string plan) =>
        usage.GetProperty("requests").EnumerateArray().FirstOrDefault() is { ValueKind: System.Text.Json.JsonValueKind.Object } today
        && today.GetProperty("byPlan").TryGetProperty(plan, out var count) ? count.GetInt64() : 0;
}
