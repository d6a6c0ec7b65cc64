using TieredTenancy.Tests.Stack;

namespace TieredTenancy.Tests.Moves;

/// <summary>
/// A stack of its own for tier moves: two dedicated servers (for rebalancing), and a Provisioner
/// the crash tests kill, so the other collections never meet a restarting control plane.
/// </summary>
public sealed class MovesFixture : StackFixture
{
    protected override string[] Settings => ["Infrastructure:DedicatedServerCount=2"];
}

[CollectionDefinition(Name)]
public sealed class MovesCollection : ICollectionFixture<MovesFixture>
{
    public const string Name = "moves";
}
