using TieredTenancy.Tests.Stack;

namespace TieredTenancy.Tests.Faults;

/// <summary>
/// A stack of its own whose servers are paused, killed and restarted: redis-server rather than the embedded Garnet, so
/// Redis is a process of its own (.ci/run installs it), and no other collection meets a server gone.
/// </summary>
public sealed class FaultsFixture : StackFixture
{
    protected override string[] Settings => ["Infrastructure:Redis=RedisServer"];
}

[CollectionDefinition(Name)]
public sealed class FaultsCollection : ICollectionFixture<FaultsFixture>
{
    public const string Name = "faults";
}
