using Aspire.Hosting;
using Aspire.Hosting.Testing;
using StackExchange.Redis;

namespace TieredTenancy.Tests.Stack;

/// <summary>The embedded Garnet server must serve the platform exactly as redis-server does.</summary>
public sealed class CacheParityTests
{
    [SkippableTheory]
    [InlineData("RedisServer")]
    [InlineData("Garnet")]
    public async Task Cache_serves_strings_hashes_pubsub_and_lua(string server)
    {
        Skip.If(server == "RedisServer" && !File.Exists("/usr/bin/redis-server") && !OnPath("redis-server"),
            "redis-server is not installed here (.ci/run installs it); the Garnet case still runs.");

        var builder = (await TestStack.CreateBuilderAsync($"Infrastructure:Redis={server}")).KeepOnly("cache");
        var expectedResource = server == "Garnet" ? "EmbeddedGarnetResource" : "RedisServerProcessResource";
        Assert.Equal(expectedResource, builder.Resources.Single(resource => resource.Name == "cache").GetType().Name);
        await using var app = await builder.BuildAsync().WaitAsync(StackFixture.StartTimeout);
        await app.StartAsync().WaitAsync(StackFixture.StartTimeout);
        await app.ResourceNotifications.WaitForResourceHealthyAsync("cache").WaitAsync(StackFixture.StartTimeout);

        var connectionString = await app.GetConnectionStringAsync("cache");
        Assert.Matches(@"^[^,]+:\d+,password=.+$", connectionString);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(connectionString!);
        var db = redis.GetDatabase();

        // Strings with expiry.
        Assert.True(await db.StringSetAsync("t:1:greeting", "hello", TimeSpan.FromMinutes(1)));
        Assert.Equal("hello", (string?)await db.StringGetAsync("t:1:greeting"));
        Assert.True(await db.KeyTimeToLiveAsync("t:1:greeting") > TimeSpan.Zero);

        // Hashes.
        await db.HashSetAsync("t:1:tenant", [new("plan", "pro"), new("status", "active")]);
        Assert.Equal("pro", (string?)await db.HashGetAsync("t:1:tenant", "plan"));

        // Pub/sub: what one connection publishes, another receives.
        await using var listener = await ConnectionMultiplexer.ConnectAsync(connectionString!);
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var channel = RedisChannel.Literal("registry-changes");
        await listener.GetSubscriber().SubscribeAsync(channel, (_, message) => received.TrySetResult(message!));
        Assert.Equal(1, await redis.GetSubscriber().PublishAsync(channel, "tenant-1"));
        Assert.Equal("tenant-1", await received.Task.WaitAsync(TimeSpan.FromSeconds(5)));

        // Lua: an atomic counter with expiry, the shape a rate limiter uses.
        const string script = "local n = redis.call('INCR', KEYS[1]); if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end; return n";
        Assert.Equal(1, (long)await db.ScriptEvaluateAsync(script, ["t:1:rate"], [60000]));
        Assert.Equal(2, (long)await db.ScriptEvaluateAsync(script, ["t:1:rate"], [60000]));

        // The password is required.
        var withoutPassword = ConfigurationOptions.Parse(connectionString!);
        withoutPassword.Password = null;
        withoutPassword.AbortOnConnectFail = true;
        await Assert.ThrowsAnyAsync<RedisException>(async () =>
        {
            await using var anonymous = await ConnectionMultiplexer.ConnectAsync(withoutPassword);
            await anonymous.GetDatabase().PingAsync();
        });
    }

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(directory => File.Exists(Path.Combine(directory, program)));
}
