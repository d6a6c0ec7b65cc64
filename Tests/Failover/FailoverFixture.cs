using TieredTenancy.Tests.Stack;

namespace TieredTenancy.Tests.Failover;

/// <summary>
/// A stack of its own with two Provisioner replicas, as a developer's stack runs: its tests kill the
/// replica that runs an operation, so the other collections never meet a replica gone.
/// </summary>
public sealed class FailoverFixture : StackFixture
{
    public const int ProvisionerReplicaCount = 2;

    protected override int ProvisionerReplicas => ProvisionerReplicaCount;
}

[CollectionDefinition(Name)]
public sealed class FailoverCollection : ICollectionFixture<FailoverFixture>
{
    public const string Name = "failover";
}
