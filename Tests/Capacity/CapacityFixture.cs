using TieredTenancy.Tests.Stack;

namespace TieredTenancy.Tests.Capacity;

/// <summary>
/// A stack of its own with small capacity settings, so limits are reached in seconds and with a
/// few dozen tenants: short statement timeouts, a small connection budget with a short wait, and the seed plans' request limits.
/// </summary>
public sealed class CapacityFixture : StackFixture
{
    protected override bool LiftsRequestLimits => false;

    public static readonly TimeSpan SharedStatementTimeout = TimeSpan.FromSeconds(1.5);
    public static readonly TimeSpan DedicatedStatementTimeout = TimeSpan.FromSeconds(3);

    /// <summary>Both replicas together; each gets half.</summary>
    public const int DedicatedConnectionBudget = 16;

    public static readonly TimeSpan ConnectionWait = TimeSpan.FromSeconds(1);

    protected override string[] Settings =>
    [
        $"Capacity:DedicatedConnectionBudget={DedicatedConnectionBudget}",
        $"Capacity:ConnectionWait={ConnectionWait}",
        $"Capacity:SharedStatementTimeout={SharedStatementTimeout}",
        $"Capacity:DedicatedStatementTimeout={DedicatedStatementTimeout}",
    ];
}

[CollectionDefinition(Name)]
public sealed class CapacityCollection : ICollectionFixture<CapacityFixture>
{
    public const string Name = "capacity";
}
