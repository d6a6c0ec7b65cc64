using System.Net;
using TieredTenancy.Tests.Stack;

namespace TieredTenancy.Tests.TenantPlane;

[Collection(StackCollection.Name)]
public sealed class TenantPlaneSmokeTests(StackFixture stack)
{
    [Theory]
    [InlineData("free")]
    [InlineData("business")]
    [InlineData("enterprise")]
    public async Task A_tenant_creates_and_reads_its_projects_tasks_and_comments(string plan)
    {
        using var tenant = await TestTenants.CreateAsync(stack.App, plan);
        var info = await TestTenant.ExpectAsync(await tenant.Api.GetAsync("/tenant"), HttpStatusCode.OK);
        Assert.Equal(tenant.Id.ToString(), info.GetProperty("id").GetString());
        var project = await tenant.CreateProjectAsync("Launch");
        var projectId = project.GetProperty("id").GetString()!;
        var task = await tenant.CreateTaskAsync(projectId, "Write the launch note");
        var taskId = task.GetProperty("id").GetString()!;
        await tenant.CreateCommentAsync(taskId, "Looks good");
        var tasks = await TestTenant.ExpectAsync(await tenant.Api.GetAsync($"/projects/{projectId}/tasks"), HttpStatusCode.OK);
        Assert.Equal(1, tasks.GetProperty("total").GetInt32());
        using var update = await tenant.Api.PutAsync($"/tasks/{taskId}", System.Net.Http.Json.JsonContent.Create(new { title = "Rewrite", status = "done" }));
        Assert.Equal("done", (await TestTenant.ExpectAsync(update, HttpStatusCode.OK)).GetProperty("status").GetString());
        using var delete = await tenant.Api.DeleteAsync($"/projects/{projectId}");
        await TestTenant.ExpectAsync(delete, HttpStatusCode.NoContent);
    }
}
