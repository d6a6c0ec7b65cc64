using System.Net;
using System.Text.Json;
using TieredTenancy.Tests.Stack;

namespace TieredTenancy.Tests.TenantPlane;

/// <summary>
/// A project's task list in every tier: the total on every page (it comes with the page's rows, or
/// apart for a page past the end), an empty project, and a project that does not exist.
/// </summary>
[Collection(StackCollection.Name)]
public sealed class TaskListingTests(StackFixture stack)
{
    [Theory]
    [InlineData("row")]
    [InlineData("schema")]
    [InlineData("database")]
    public async Task Every_page_carries_the_projects_total(string isolation)
    {
        using var tenant = await TestTenants.CreateAsync(stack.App, TestTenants.PlanFor(isolation));
        var project = (await tenant.CreateProjectAsync("Paged")).GetProperty("id").GetString()!;
        var created = new List<string>();
        for (var n = 1; n <= 5; n++)
        {
            created.Add((await tenant.CreateTaskAsync(project, $"task {n}")).GetProperty("id").GetString()!);
        }
        var empty = (await tenant.CreateProjectAsync("Empty")).GetProperty("id").GetString()!;

        var listed = new List<string>();
        foreach (var (page, count) in new[] { (1, 2), (2, 2), (3, 1), (4, 0) })
        {
            var body = await ListAsync(tenant, $"/projects/{project}/tasks?page={page}&pageSize=2", HttpStatusCode.OK);
            var items = body.GetProperty("items").EnumerateArray().Select(item => item.GetProperty("id").GetString()!).ToList();
            Assert.Equal(count, items.Count);
            Assert.Equal(5, body.GetProperty("total").GetInt32());
            listed.AddRange(items);
        }
        Assert.Equal(created.Order(), listed.Order());

        foreach (var page in new[] { 1, 2 })
        {
            var body = await ListAsync(tenant, $"/projects/{empty}/tasks?page={page}", HttpStatusCode.OK);
            Assert.Empty(body.GetProperty("items").EnumerateArray());
            Assert.Equal(0, body.GetProperty("total").GetInt32());
        }
        await ListAsync(tenant, $"/projects/{Guid.CreateVersion7()}/tasks", HttpStatusCode.NotFound);
    }

    private static async Task<JsonElement> ListAsync(TestTenant tenant, string path, HttpStatusCode expected) =>
        await TestTenant.ExpectAsync(await tenant.Api.GetAsync(path), expected);
}
