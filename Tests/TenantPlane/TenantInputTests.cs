using System.Net;
using System.Text;
using TieredTenancy.Tests.Stack;

namespace TieredTenancy.Tests.TenantPlane;

/// <summary>Bad input on the tenant plane: 400 or 413 problem+json, and nothing written.</summary>
[Collection(StackCollection.Name)]
public sealed class TenantInputTests(StackFixture stack)
{
    public static TheoryData<string, string, string, HttpStatusCode> BadRequests() => new()
    {
        { "POST", "/projects", "{\"name\": ", HttpStatusCode.BadRequest },
        { "POST", "/projects", "[]", HttpStatusCode.BadRequest },
        { "POST", "/projects", "{\"name\": \"\"}", HttpStatusCode.BadRequest },
        { "POST", "/projects", "{\"name\": 12}", HttpStatusCode.BadRequest },
        { "POST", "/projects", "{\"name\": \"" + new string('x', 201) + "\"}", HttpStatusCode.BadRequest },
        { "POST", "/projects", "{\"name\": \"" + new string('x', 100_000) + "\"}", HttpStatusCode.RequestEntityTooLarge },
        { "POST", "/projects/{project}/tasks", "{\"title\": \"t\", \"status\": \"blocked\"}", HttpStatusCode.BadRequest },
        { "POST", "/projects/{project}/tasks", "{\"title\": \"t\", \"status\": 7}", HttpStatusCode.BadRequest },
        { "POST", "/projects/{project}/tasks", "{\"title\": \"t\", \"dueOn\": \"next tuesday\"}", HttpStatusCode.BadRequest },
        { "POST", "/projects/not-a-uuid/tasks", "{\"title\": \"t\"}", HttpStatusCode.BadRequest },
        { "PUT", "/projects/1;DROP TABLE projects", "{\"name\": \"x\"}", HttpStatusCode.BadRequest },
        { "GET", "/projects/../../etc/passwd", "", HttpStatusCode.NotFound },
        { "GET", "/tasks/12345", "", HttpStatusCode.BadRequest },
        { "DELETE", "/projects/'%20OR%201=1--", "", HttpStatusCode.BadRequest },
        { "GET", "/projects?page=0", "", HttpStatusCode.BadRequest },
        { "GET", "/projects?pageSize=100000", "", HttpStatusCode.BadRequest },
        { "GET", "/projects?page=-1", "", HttpStatusCode.BadRequest },
        { "GET", "/projects?pageSize=ten", "", HttpStatusCode.BadRequest },
        { "GET", "/tasks/search?q=", "", HttpStatusCode.BadRequest },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_input_answers_a_clear_4xx_and_writes_nothing(string method, string path, string body, HttpStatusCode expected)
    {
        using var tenant = await TestTenants.CreateAsync(stack.App, "pro");
        var project = (await tenant.CreateProjectAsync("Existing")).GetProperty("id").GetString()!;
        var before = await CountsAsync(tenant, project);

        using var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("{project}", project));
        if (body.Length > 0)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }
        using var response = await tenant.Api.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{method} {path} answered {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("\"detail\"", text);
        Assert.Equal(before, await CountsAsync(tenant, project));
    }

    private static async Task<(int Projects, int Tasks)> CountsAsync(TestTenant tenant, string project)
    {
        var projects = await TestTenant.ExpectAsync(await tenant.Api.GetAsync("/projects"), HttpStatusCode.OK);
        var tasks = await TestTenant.ExpectAsync(await tenant.Api.GetAsync($"/projects/{project}/tasks"), HttpStatusCode.OK);
        return (projects.GetProperty("total").GetInt32(), tasks.GetProperty("total").GetInt32());
    }
}
