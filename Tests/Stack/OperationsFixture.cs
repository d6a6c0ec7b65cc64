using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;

namespace TieredTenancy.Tests.Stack;

/// <summary>
/// A stack of its own for long operations (tier moves, fleet migrations): two dedicated servers
/// (for rebalancing), and a Provisioner the crash tests kill, and whose fleet migrations roll every
/// tenant back and forth, so the other collections never meet either. Its bulk copies run a
/// statement per <see cref="RowsPerStatement"/> rows, so the tests' small tenants take the
/// several-statement path a big tenant takes.
/// </summary>
public sealed class OperationsFixture : StackFixture
{
    public const int RowsPerStatement = 7;

    protected override string[] Settings => ["Infrastructure:DedicatedServerCount=2"];

    protected override void Configure(IDistributedApplicationTestingBuilder builder)
    {
        base.Configure(builder);
        var provisioner = builder.Resources.OfType<ProjectResource>().Single(resource => resource.Name == "provisioner");
        builder.CreateResourceBuilder(provisioner).WithEnvironment("Operations__RowsPerStatement", RowsPerStatement.ToString());
    }
}

[CollectionDefinition(Name)]
public sealed class OperationsCollection : ICollectionFixture<OperationsFixture>
{
    public const string Name = "operations";
}
