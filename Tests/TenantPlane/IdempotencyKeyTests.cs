using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TieredTenancy.Tests.Stack;

namespace TieredTenancy.Tests.TenantPlane;

/// <summary>
/// A create sent again with its Idempotency-Key makes nothing new, in every tier: the second answer is the first's row,
/// counted by listing what the tenant has; the same key with another request is refused (422), a malformed key too (400).
/// This is what makes a create safe to run again after a cut connection.
/// </summary>
[Collection(StackCollection.Name)]
public sealed class IdempotencyKeyTests(StackFixture stack)
{
    [Theory]
    [InlineData("free")]
    [InlineData("business")]
    [InlineData("enterprise")]
    public async Task A_create_sent_again_with_its_Idempotency_Key_makes_nothing_new(string plan)
    {
        using var tenant = await TestTenants.CreateAsync(stack.App, plan);

        var project = await TwiceAsync(tenant.Api, "/projects", new { name = "Launch" }, "project-1");
        var projectId = project.GetProperty("id").GetString()!;
        var task = await TwiceAsync(tenant.Api, $"/projects/{projectId}/tasks", new { title = "Write the plan" }, "task-1");
        var comment = await TwiceAsync(tenant.Api, $"/tasks/{task.GetProperty("id").GetString()}/comments", new { body = "Looks right" }, "comment-1");

        Assert.Equal(1, (await tenant.Api.GetFromJsonAsync<JsonElement>("/projects")).GetProperty("total").GetInt32());
        Assert.Equal(1, (await tenant.Api.GetFromJsonAsync<JsonElement>($"/projects/{projectId}/tasks")).GetProperty("total").GetInt32());
        Assert.Equal(1, (await tenant.Api.GetFromJsonAsync<JsonElement>($"/tasks/{task.GetProperty("id").GetString()}/comments")).GetProperty("total").GetInt32());
        Assert.NotEqual(comment.GetProperty("id").GetString(), task.GetProperty("id").GetString());

        // The same key with another request names nothing new: refused, and nothing was made.
        await TestTenant.ExpectProblemAsync(await PostAsync(tenant.Api, $"/projects/{projectId}/tasks", new { title = "Something else" }, "task-1"),
            HttpStatusCode.UnprocessableEntity, "used with a different request");
        await TestTenant.ExpectProblemAsync(await PostAsync(tenant.Api, $"/projects/{projectId}/tasks", new { title = "Write the plan", status = "done" }, "task-1"),
            HttpStatusCode.UnprocessableEntity, "used with a different request");
        await TestTenant.ExpectProblemAsync(await PostAsync(tenant.Api, "/projects", new { name = "Another" }, "project-1"),
            HttpStatusCode.UnprocessableEntity, "used with a different request");
        // Another key is another task; a key that is not one is refused at the edge.
        await TestTenant.ExpectAsync(await PostAsync(tenant.Api, $"/projects/{projectId}/tasks", new { title = "Write the plan" }, "task-2"), HttpStatusCode.Created);
        await TestTenant.ExpectProblemAsync(await PostAsync(tenant.Api, $"/projects/{projectId}/tasks", new { title = "x" }, "two words"),
            HttpStatusCode.BadRequest, "Idempotency-Key");
        Assert.Equal(2, (await tenant.Api.GetFromJsonAsync<JsonElement>($"/projects/{projectId}/tasks")).GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task The_same_key_sent_twice_at_once_makes_one_row_and_both_answers_name_it()
    {
        using var tenant = await TestTenants.CreateAsync(stack.App, "business");
        var projectId = (await tenant.CreateProjectAsync("Races")).GetProperty("id").GetString()!;
        for (var round = 0; round < 10; round++)
        {
            // Both may pass the look-up before either commits: the primary key refuses the second, which answers with the first's task.
            var answers = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ =>
                PostAsync(tenant.Api, $"/projects/{projectId}/tasks", new { title = $"race {round}" }, $"race-{round}")));
            var ids = new List<string>();
            foreach (var answer in answers)
            {
                ids.Add((await TestTenant.ExpectAsync(answer, HttpStatusCode.Created)).GetProperty("id").GetString()!);
            }
            Assert.Single(ids.Distinct());
        }
        Assert.Equal(10, (await tenant.Api.GetFromJsonAsync<JsonElement>($"/projects/{projectId}/tasks")).GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task The_same_key_from_another_tenant_makes_that_tenants_own_row()
    {
        using var first = await TestTenants.CreateAsync(stack.App, "free");
        using var second = await TestTenants.CreateAsync(stack.App, "free");
        var mine = await TestTenant.ExpectAsync(await PostAsync(first.Api, "/projects", new { name = "Shared key" }, "same-key"), HttpStatusCode.Created);
        var theirs = await TestTenant.ExpectAsync(await PostAsync(second.Api, "/projects", new { name = "Shared key" }, "same-key"), HttpStatusCode.Created);
        Assert.NotEqual(mine.GetProperty("id").GetString(), theirs.GetProperty("id").GetString());
        Assert.Equal(second.Id.ToString(), theirs.GetProperty("tenantId").GetString());
    }

    private static async Task<JsonElement> TwiceAsync(HttpClient api, string path, object body, string key)
    {
        var first = await TestTenant.ExpectAsync(await PostAsync(api, path, body, key), HttpStatusCode.Created);
        var again = await TestTenant.ExpectAsync(await PostAsync(api, path, body, key), HttpStatusCode.Created);
        // The same row answered again (its timestamps as stored: to the microsecond).
        Assert.Equal(first.GetProperty("id").GetString(), again.GetProperty("id").GetString());
        Assert.Equal(first.GetProperty("tenantId").GetString(), again.GetProperty("tenantId").GetString());
        return first;
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient api, string path, object body, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        return api.SendAsync(request);
    }
}
