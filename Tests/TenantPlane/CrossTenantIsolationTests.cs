using System.Net;
using System.Net.Http.Json;
using TieredTenancy.Tests.Stack;

namespace TieredTenancy.Tests.TenantPlane;

/// <summary>
/// For every ordered pair of isolation kinds, tenant A cannot reach tenant B's projects, tasks or
/// comments in any way (404, as if they did not exist), and B's data stays as it was.
/// </summary>
[Collection(StackCollection.Name)]
public sealed class CrossTenantIsolationTests(StackFixture stack)
{
    public static TheoryData<string, string> OrderedPairs()
    {
        var pairs = new TheoryData<string, string>();
        foreach (var a in new[] { "row", "schema", "database" })
        {
            foreach (var b in new[] { "row", "schema", "database" })
            {
                pairs.Add(a, b);
            }
        }
        return pairs;
    }

    [Theory]
    [MemberData(nameof(OrderedPairs))]
    public async Task A_tenant_cannot_read_change_or_delete_another_tenants_data(string isolationA, string isolationB)
    {
        using var a = await TestTenants.CreateAsync(stack.App, TestTenants.PlanFor(isolationA));
        using var b = await TestTenants.CreateAsync(stack.App, TestTenants.PlanFor(isolationB));
        var aProject = (await a.CreateProjectAsync("A's own")).GetProperty("id").GetString()!;
        var project = (await b.CreateProjectAsync("B secret project")).GetProperty("id").GetString()!;
        var task = (await b.CreateTaskAsync(project, "B secret task")).GetProperty("id").GetString()!;
        await b.CreateCommentAsync(task, "B secret comment");
        var before = await SnapshotAsync(b, project, task);

        // Reads.
        await ExpectNotFound(a.Api.GetAsync($"/projects/{project}"));
        await ExpectNotFound(a.Api.GetAsync($"/projects/{project}/tasks"));
        await ExpectNotFound(a.Api.GetAsync($"/tasks/{task}"));
        await ExpectNotFound(a.Api.GetAsync($"/tasks/{task}/comments"));
        var listed = await TestTenant.ExpectAsync(await a.Api.GetAsync("/projects?pageSize=200"), HttpStatusCode.OK);
        Assert.All(listed.GetProperty("items").EnumerateArray(), item => Assert.Equal(a.Id.ToString(), item.GetProperty("tenantId").GetString()));
        Assert.DoesNotContain(project, listed.GetProperty("items").EnumerateArray().Select(item => item.GetProperty("id").GetString()));

        // Writes.
        await ExpectNotFound(a.Api.PutAsJsonAsync($"/projects/{project}", new { name = "hijacked" }));
        await ExpectNotFound(a.Api.PutAsJsonAsync($"/tasks/{task}", new { title = "hijacked", status = "done" }));
        await ExpectNotFound(a.Api.PostAsJsonAsync($"/projects/{project}/tasks", new { title = "planted" }));
        await ExpectNotFound(a.Api.PostAsJsonAsync($"/tasks/{task}/comments", new { body = "planted" }));
        await ExpectNotFound(a.Api.DeleteAsync($"/tasks/{task}"));
        await ExpectNotFound(a.Api.DeleteAsync($"/projects/{project}"));

        // Naming B explicitly with A's token is refused outright.
        foreach (var name in new[] { b.Slug, b.Id.ToString() })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/projects/{aProject}") { Headers = { { "X-Tenant", name } } };
            using var response = await a.Api.SendAsync(request);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        // So is naming B by subdomain; A's own subdomain is served.
        foreach (var (host, expected) in new[] { ($"{b.Slug}.tenants.test", HttpStatusCode.Forbidden), ($"{a.Slug}.tenants.test", HttpStatusCode.OK) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/projects/{aProject}");
            request.Headers.Host = host;
            using var response = await a.Api.SendAsync(request);
            Assert.True(expected == response.StatusCode, $"Host {host} answered {(int)response.StatusCode}");
        }

        Assert.Equal(before, await SnapshotAsync(b, project, task));
    }

    /// <summary>Everything B can see of its project, task and comments, as text to compare.</summary>
    private static async Task<string> SnapshotAsync(TestTenant b, string project, string task) =>
        string.Join("\n",
            (await TestTenant.ExpectAsync(await b.Api.GetAsync($"/projects/{project}"), HttpStatusCode.OK)).ToString(),
            (await TestTenant.ExpectAsync(await b.Api.GetAsync($"/projects/{project}/tasks"), HttpStatusCode.OK)).ToString(),
            (await TestTenant.ExpectAsync(await b.Api.GetAsync($"/tasks/{task}/comments"), HttpStatusCode.OK)).ToString());

    private static async Task ExpectNotFound(Task<HttpResponseMessage> sending)
    {
        using var response = await sending;
        await TestTenant.ExpectAsync(response, HttpStatusCode.NotFound);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
