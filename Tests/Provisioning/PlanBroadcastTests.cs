using System.Diagnostics;
using System.Net;
using Aspire.Hosting.Testing;
using StackExchange.Redis;
using TieredTenancy.Tenancy.Registry;
using TieredTenancy.Tests.Stack;
using TieredTenancy.Tests.TenantPlane;
using Xunit.Abstractions;

namespace TieredTenancy.Tests.Provisioning;

/// <summary>
/// A plan changed by another Provisioner instance (its catalog write and its broadcast, made here
/// by hand) reaches this instance's checks at once, not when its copy of the plans expires.
/// </summary>
[Collection(StackCollection.Name)]
public sealed class PlanBroadcastTests(StackFixture stack, ITestOutputHelper output)
{
    [Fact]
    public async Task A_plan_change_broadcast_by_another_Provisioner_instance_reaches_this_ones_usage_report_within_a_second()
    {
        using var admin = await stack.App.AdminClientAsync();
        var tenant = (await admin.CreateTenantAsync("pro")).GetProperty("id").GetString();
        Assert.Equal(50, await MaxProjectsAsync(admin, tenant!));

        await using var redis = await ConnectionMultiplexer.ConnectAsync((await stack.App.GetConnectionStringAsync("cache"))!);
        await using var catalog = await stack.App.OpenAsync("catalog");
        try
        {
            await catalog.ExecuteAsync("UPDATE plans SET limits_max_projects = 49 WHERE name = 'pro'");
            await redis.GetSubscriber().PublishAsync(RedisChannel.Literal(RegistryChanges.Channel), RegistryChanges.PlansChanged);
            var clock = Stopwatch.StartNew();
            while (await MaxProjectsAsync(admin, tenant!) != 49 && clock.Elapsed < TimeSpan.FromSeconds(5))
            {
                await Task.Delay(50);
            }
            output.WriteLine($"the usage report named the new limit {clock.Elapsed.TotalMilliseconds:0} ms after the broadcast");
            Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(1));
        }
        finally
        {
            await catalog.ExecuteAsync("UPDATE plans SET limits_max_projects = 50 WHERE name = 'pro'");
            await redis.GetSubscriber().PublishAsync(RedisChannel.Literal(RegistryChanges.Channel), RegistryChanges.PlansChanged);
        }
    }

    private static async Task<int> MaxProjectsAsync(HttpClient admin, string tenant) =>
        (await TestTenant.ExpectAsync(await admin.GetAsync($"/admin/tenants/{tenant}/usage"), HttpStatusCode.OK))
        .GetProperty("limits").GetProperty("maxProjects").GetInt32();
}
