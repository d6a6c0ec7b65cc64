using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TieredTenancy.Tests.Provisioning;

namespace TieredTenancy.Tests.Stack;

/// <summary>
/// One whole stack per test collection, in Local mode with throwaway data, so the tests behave
/// the same with or without a container engine.
/// </summary>
public class StackFixture : IAsyncLifetime
{
    /// <summary>Settings on top of the tests' defaults, for collections that need another shape of stack.</summary>
    protected virtual string[] Settings => [];

    /// <summary>
    /// Provisioner replicas in this collection's stack. One unless a collection asks for more: the
    /// crash tests kill "the" Provisioner, which with two would leave the other to go on.
    /// </summary>
    protected virtual int ProvisionerReplicas => 1;

    /// <summary>Changes to the AppHost's resources before the stack starts (a service's settings), for collections that need them.</summary>
    protected virtual void Configure(IDistributedApplicationTestingBuilder builder)
    {
    }

    /// <summary>
    /// Collections that are not about request limits lift every plan's (plans are data) so the load
    /// their scenarios make is never answered 429; the capacity collection keeps the seed plans.
    /// </summary>
    protected virtual bool LiftsRequestLimits => true;

    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    public DistributedApplication App { get; private set; } = null!;

    /// <summary>From building the app to every resource healthy: the cold start the README quotes.</summary>
    public TimeSpan ColdStart { get; private set; }

    public async Task InitializeAsync()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var builder = await TestStack.CreateBuilderAsync([.. Settings, $"Infrastructure:ProvisionerReplicas={ProvisionerReplicas}"]);
        Configure(builder);
        App = await builder.BuildAsync().WaitAsync(StartTimeout);
        await App.StartAsync().WaitAsync(StartTimeout);
        await TestStack.WaitForBootstrapAsync(App);
        foreach (var resource in TestStack.ServiceResourceNames(App))
        {
            await Replicas.WaitForHealthyAsync(App, resource, Replicas.CountOf(App, resource), StartTimeout);
        }
        ColdStart = clock.Elapsed;
        if (LiftsRequestLimits)
        {
            await LiftRequestLimitsAsync();
        }
    }

    private async Task LiftRequestLimitsAsync()
    {
        using var admin = await App.AdminClientAsync();
        foreach (var plan in (await admin.GetFromJsonAsync<JsonElement>("/admin/plans")).EnumerateArray())
        {
            var limits = plan.GetProperty("limits");
            await admin.SetPlanLimitsAsync(plan.GetProperty("name").GetString()!, 1_000_000, 100_000, 10_000,
                limits.GetProperty("maxProjects").GetInt32(), limits.GetProperty("storageMegabytes").GetInt32());
        }
    }

    public async Task DisposeAsync()
    {
        if (App is not null)
        {
            await App.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class StackCollection : ICollectionFixture<StackFixture>
{
    public const string Name = "stack";
}

/// <summary>How the tests build the AppHost: Local mode, ephemeral data, extra settings on top.</summary>
public static class TestStack
{
    public static async Task<IDistributedApplicationTestingBuilder> CreateBuilderAsync(params string[] settings)
    {
        string[] args =
        [
            "--Infrastructure:Mode=Local",
            "--Infrastructure:Ephemeral=true",
            "--Testing:AllowFaultInjection=true",
            "--Tenancy:RootDomain=tenants.test",
            .. settings.Select(setting => "--" + setting),
        ];
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(args).WaitAsync(StackFixture.StartTimeout);
        // Resource logs stay in the dashboard; the test output keeps warnings and errors only.
        builder.Services.AddLogging(logging => logging
            // TT_TEST_RESOURCE_LOGS=1 shows every service's own log lines in the test output.
            .AddFilter("AppHost.Resources", Environment.GetEnvironmentVariable("TT_TEST_RESOURCE_LOGS") == "1" ? LogLevel.Information : LogLevel.Warning)
            .AddFilter("Aspire.Hosting", LogLevel.Warning)
            .AddFilter("Microsoft", LogLevel.Warning));
        return builder;
    }

    /// <summary>The resource that runs once before the services (roles, as superuser) and exits.</summary>
    public const string Bootstrap = "bootstrap";

    /// <summary>Waits for the bootstrap to exit, and fails at once (not at the start timeout) when it failed.</summary>
    public static async Task<int> WaitForBootstrapAsync(DistributedApplication app)
    {
        var ended = await app.ResourceNotifications.WaitForResourceAsync(Bootstrap,
            update => update.Snapshot.ExitCode is not null || update.Snapshot.State?.Text == KnownResourceStates.FailedToStart).WaitAsync(StackFixture.StartTimeout);
        Assert.True(ended.Snapshot.ExitCode == 0,
            $"the bootstrap ended {ended.Snapshot.State?.Text} with exit code {ended.Snapshot.ExitCode}; its log is in the dashboard (TT_TEST_RESOURCE_LOGS=1 shows it here)");
        return ended.Snapshot.ExitCode!.Value;
    }

    /// <summary>Every resource that keeps running (servers and services), not parameters, databases inside a server or the bootstrap.</summary>
    public static IEnumerable<string> ServiceResourceNames(DistributedApplication app) =>
        VisibleResources(app)
            .Where(resource => resource is not IResourceWithParent && resource.Name != Bootstrap)
            .Select(resource => resource.Name);

    /// <summary>The resources the dashboard shows: not parameters, not Aspire's hidden project rebuilders.</summary>
    public static IEnumerable<IResource> VisibleResources(DistributedApplication app) =>
        app.Services.GetRequiredService<DistributedApplicationModel>().Resources
            // ProjectRebuilderResource is internal to Aspire: it only runs `dotnet build` on request.
            .Where(resource => resource is not ParameterResource && resource.GetType().Name != "ProjectRebuilderResource");
}

public static class TestStackBuilderExtensions
{
    /// <summary>Drops every resource but the named ones (and parameters), for tests of one piece of infrastructure.</summary>
    public static IDistributedApplicationTestingBuilder KeepOnly(this IDistributedApplicationTestingBuilder builder, params string[] names)
    {
        foreach (var resource in builder.Resources.Where(resource => resource is not ParameterResource && !names.Contains(resource.Name)).ToList())
        {
            builder.Resources.Remove(resource);
        }
        return builder;
    }
}
