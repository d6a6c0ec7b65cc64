namespace TieredTenancy.Tests.Stack;

/// <summary>
/// A stack of its own for long operations (tier moves, fleet migrations): two dedicated servers
/// (for rebalancing), and a Provisioner the crash tests kill, and whose fleet migrations roll every
/// tenant back and forth, so the other collections never meet either.
/// </summary>
public sealed class OperationsFixture : StackFixture
{
    protected override string[] Settings => ["Infrastructure:DedicatedServerCount=2"];
}

[CollectionDefinition(Name)]
public sealed class OperationsCollection : ICollectionFixture<OperationsFixture>
{
    public const string Name = "operations";
}
