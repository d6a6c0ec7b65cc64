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
            var since = DateTimeOffset.UtcNow;
            await redis.GetSubscriber().PublishAsync(RedisChannel.Literal(RegistryChanges.Channel), RegistryChanges.Stamped(RegistryChanges.PlansChanged, since));
            var delays = await RegistryChangeWatch.AppliedEverywhereAsync(stack.App, "provisioner", 1, RegistryChanges.PlansChanged, since);
            // Once its copy is dropped the next read is the catalog's: the very first report after it names the new limit.
            Assert.Equal(49, await MaxProjectsAsync(admin, tenant!));
            output.WriteLine($"the Provisioner dropped its plans {delays[0]:0} ms after the broadcast; its next usage report named the new limit");
        }
        finally
        {
            await catalog.ExecuteAsync("UPDATE plans SET limits_max_projects = 50 WHERE name = 'pro'");
            await redis.GetSubscriber().PublishAsync(RedisChannel.Literal(RegistryChanges.Channel), RegistryChanges.Stamped(RegistryChanges.PlansChanged, DateTimeOffset.UtcNow));
        }
    }

    private static async Task<int> MaxProjectsAsync(HttpClient admin, string tenant) =>
        (await TestTenant.ExpectAsync(await admin.GetAsync($"/admin/tenants/{tenant}/usage"), HttpStatusCode.OK))
        .GetProperty("limits").GetProperty("maxProjects").GetInt32();
}
