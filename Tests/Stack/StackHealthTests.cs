using Xunit.Abstractions;
using System.Net;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace TieredTenancy.Tests.Stack;

[Collection(StackCollection.Name)]
public sealed class StackHealthTests(StackFixture stack, ITestOutputHelper output)
{
    [Fact]
    public async Task Every_resource_reaches_healthy_and_the_bootstrap_exits_with_success()
    {
        var names = TestStack.VisibleResources(stack.App).ToList();
        Assert.Superset(new HashSet<string> { "postgres", "catalog", "tenants", "postgres-dedicated", "cache", TestStack.Bootstrap, "provisioner", "api" },
            names.Select(resource => resource.Name).ToHashSet());

        output.WriteLine($"cold start, AppHost build to every resource healthy: {stack.ColdStart.TotalSeconds:0.0} s");
        Assert.Equal(0, await TestStack.WaitForBootstrapAsync(stack.App));
        foreach (var resource in names.Where(resource => resource.Name != TestStack.Bootstrap))
        {
            var instances = resource.TryGetLastAnnotation<ReplicaAnnotation>(out var replicas) ? replicas.Replicas : 1;
            var ready = await Replicas.WaitForHealthyAsync(stack.App, resource.Name, instances, TimeSpan.FromSeconds(30));
            Assert.Equal(instances, ready.Count);
        }
    }

    [Fact]
    public async Task Provisioner_health_answers_200()
    {
        using var client = stack.App.CreateHttpClient("provisioner");
        using var response = await client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Both_api_replicas_answer_health_and_alive_with_200()
    {
        var replicas = await Replicas.BaseAddressesAsync(stack.App, "api", expected: 2);
        Assert.Equal(2, replicas.Distinct().Count());
        using var client = new HttpClient();
        foreach (var replica in replicas)
        {
            foreach (var path in new[] { "/health", "/alive" })
            {
                using var response = await client.GetAsync(new Uri(replica, path));
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{replica}{path} answered {(int)response.StatusCode}");
            }
        }
    }

    [Fact]
    public async Task The_api_publishes_an_OpenAPI_document_and_a_Scalar_page()
    {
        using var client = stack.App.CreateHttpClient("api");
        using var document = await client.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, document.StatusCode);
        var text = await document.Content.ReadAsStringAsync();
        Assert.Contains("/projects/{id}/tasks", text);
        Assert.Contains("/tasks/search", text);
        using var page = await client.GetAsync("/scalar/v1");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
    }
}
