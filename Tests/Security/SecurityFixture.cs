using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using TieredTenancy.Tests.Stack;

namespace TieredTenancy.Tests.Security;

/// <summary>
/// A stack of its own for API clients, tenant roles and tokens: two Provisioner replicas, as a
/// developer's stack runs (every request of these tests goes through the proxy to either one), which
/// issue tokens for <see cref="TokenLifetime"/> instead of the default hour (which the lifetime test
/// reads back); the throttle tests' refused requests never meet another collection's clients.
/// </summary>
public sealed class SecurityFixture : StackFixture
{
    public static readonly TimeSpan TokenLifetime = TimeSpan.FromMinutes(20);

    public const int ProvisionerReplicaCount = 2;

    protected override int ProvisionerReplicas => ProvisionerReplicaCount;

    protected override void Configure(IDistributedApplicationTestingBuilder builder)
    {
        var provisioner = builder.Resources.OfType<ProjectResource>().Single(resource => resource.Name == "provisioner");
        builder.CreateResourceBuilder(provisioner).WithEnvironment("Tokens__AccessTokenLifetime", TokenLifetime.ToString("c"));
    }
}

[CollectionDefinition(Name)]
public sealed class SecurityCollection : ICollectionFixture<SecurityFixture>
{
    public const string Name = "security";
}
