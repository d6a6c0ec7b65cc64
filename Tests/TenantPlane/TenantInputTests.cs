using System.Net;
using System.Text;
using TieredTenancy.Tests.Stack;

namespace TieredTenancy.Tests.TenantPlane;

/// <summary>Bad input on the tenant plane: 400 or 413 problem+json, and nothing written.</summary>
[Collection(StackCollection.Name)]
public sealed class TenantInputTests(StackFixture stack)
{
    /// <summary>Every bad request below, against a tenant of each tier.</summary>
    public static TheoryData<string, string, string, string, HttpStatusCode> BadRequestsInEveryTier()
    {
        var data = new TheoryData<string, string, string, string, HttpStatusCode>();
        foreach (var plan in new[] { "pro", "business", "enterprise" })
        {
            foreach (var row in BadRequests)
            {
                data.Add(plan, row.Method, row.Path, row.Body, row.Expected);
            }
        }
        return data;
    }

    private static readonly (string Method, string Path, string Body, HttpStatusCode Expected)[] BadRequests =
    [
        ("POST", "/projects", "{\"name\": ", HttpStatusCode.BadRequest),
        ("POST", "/projects", "[]", HttpStatusCode.BadRequest),
        ("POST", "/projects", "{\"name\": \"\"}", HttpStatusCode.BadRequest),
        ("POST", "/projects", "{\"name\": 12}", HttpStatusCode.BadRequest),
        ("POST", "/projects", "{\"name\": \"" + new string('x', 201) + "\"}", HttpStatusCode.BadRequest),
        ("POST", "/projects", "{\"name\": \"" + new string('x', 100_000) + "\"}", HttpStatusCode.RequestEntityTooLarge),
        ("POST", "/projects/{project}/tasks", "{\"title\": \"t\", \"status\": \"blocked\"}", HttpStatusCode.BadRequest),
        ("POST", "/projects/{project}/tasks", "{\"title\": \"t\", \"status\": 7}", HttpStatusCode.BadRequest),
        ("POST", "/projects/{project}/tasks", "{\"title\": \"t\", \"dueOn\": \"next tuesday\"}", HttpStatusCode.BadRequest),
        ("POST", "/projects/not-a-uuid/tasks", "{\"title\": \"t\"}", HttpStatusCode.BadRequest),
        ("PUT", "/projects/1;DROP TABLE projects", "{\"name\": \"x\"}", HttpStatusCode.BadRequest),
        ("GET", "/projects/../../etc/passwd", "", HttpStatusCode.NotFound),
        ("GET", "/tasks/12345", "", HttpStatusCode.BadRequest),
        ("DELETE", "/projects/'%20OR%201=1--", "", HttpStatusCode.BadRequest),
        ("GET", "/projects?page=0", "", HttpStatusCode.BadRequest),
        ("GET", "/projects?pageSize=100000", "", HttpStatusCode.BadRequest),
        ("GET", "/projects?page=-1", "", HttpStatusCode.BadRequest),
        ("GET", "/projects?pageSize=ten", "", HttpStatusCode.BadRequest),
        ("GET", "/tasks/search?q=", "", HttpStatusCode.BadRequest),
        ("GET", "/tasks/search?q=%00", "", HttpStatusCode.BadRequest),
        ("GET", "/tasks/search?q=a%00b", "", HttpStatusCode.BadRequest),
        ("GET", "/projects?page=1%00", "", HttpStatusCode.BadRequest),
        ("POST", "/projects", "{\"name\": \"a\\u0000b\"}", HttpStatusCode.BadRequest),
        ("POST", "/projects/{project}/tasks", "{\"title\": \"t\", \"assignee\": \"\\u0000\"}", HttpStatusCode.BadRequest),
        ("POST", "/projects/{project}/tasks", "{\"title\": \"t\", \"labels\": [\"ok\", \"n\\u0000l\"]}", HttpStatusCode.BadRequest),
    ];

    [Theory]
    [MemberData(nameof(BadRequestsInEveryTier))]
    public async Task Bad_input_answers_a_clear_4xx_and_writes_nothing(string plan, string method, string path, string body, HttpStatusCode expected)
    {
        using var tenant = await TestTenants.CreateAsync(stack.App, plan);
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

    [Fact]
    public async Task A_NUL_character_in_a_header_or_the_path_answers_400_from_Kestrel_before_the_request_reaches_the_app()
    {
        using var tenant = await TestTenants.CreateAsync(stack.App, "pro");
        var project = (await tenant.CreateProjectAsync("Existing")).GetProperty("id").GetString()!;
        var before = await CountsAsync(tenant, project);
        // HttpClient refuses to send a NUL in a header, so the request goes over a raw socket.
        var api = (await Replicas.BaseAddressesAsync(stack.App, "api", 2))[0];
        using var socket = new System.Net.Sockets.TcpClient();
        await socket.ConnectAsync(api.Host, api.Port);
        await using var stream = socket.GetStream();
        const string body = "{\"name\": \"x\"}";
        var request = $"POST /projects HTTP/1.1\r\nHost: {api.Authority}\r\nAuthorization: Bearer {tenant.Token}\r\nX-Note: a\0b\r\n"
            + $"Content-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        var response = await new StreamReader(stream, Encoding.ASCII).ReadToEndAsync();
        Assert.StartsWith("HTTP/1.1 400", response);
        using var path = await tenant.Api.GetAsync("/projects/%00");
        Assert.Equal(HttpStatusCode.BadRequest, path.StatusCode);
        Assert.Equal(before, await CountsAsync(tenant, project));
    }

    public static TheoryData<string, string> BadTokens() => new()
    {
        { "pro", "garbage" }, { "pro", "unsigned" }, { "pro", "expired" }, { "pro", "stranger's key" },
        { "business", "unsigned" }, { "business", "expired" }, { "enterprise", "unsigned" }, { "enterprise", "stranger's key" },
    };

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task A_bad_token_answers_401_problem_details_and_writes_nothing(string plan, string kind)
    {
        using var tenant = await TestTenants.CreateAsync(stack.App, plan);
        var project = (await tenant.CreateProjectAsync("Existing")).GetProperty("id").GetString()!;
        var before = await CountsAsync(tenant, project);
        var mint = await TokenMint.FromCatalogAsync(stack.App);
        var token = kind switch
        {
            "unsigned" => TokenMint.Unsigned(tenant.Id),
            "expired" => mint.Mint(tenant.Id, role: "admin", expires: DateTime.UtcNow.AddMinutes(-10)),
            "stranger's key" => mint.Mint(tenant.Id, role: "admin", signWith: System.Security.Cryptography.RSA.Create(2048)),
            _ => "garbage",
        };
        using var forged = stack.App.Authorized("api", token);
        foreach (var (method, path, body) in new[]
        {
            (HttpMethod.Post, "/projects", "{\"name\": \"forged\"}"),
            (HttpMethod.Post, $"/projects/{project}/tasks", "{\"title\": \"forged\"}"),
            (HttpMethod.Delete, $"/projects/{project}", ""),
        })
        {
            using var request = new HttpRequestMessage(method, path);
            if (body.Length > 0)
            {
                request.Content = new StringContent(body, Encoding.UTF8, "application/json");
            }
            using var response = await forged.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{kind} token: {method} {path} answered {(int)response.StatusCode}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        Assert.Equal(before, await CountsAsync(tenant, project));
    }

    private static async Task<(int Projects, int Tasks)> CountsAsync(TestTenant tenant, string project)
    {
        var projects = await TestTenant.ExpectAsync(await tenant.Api.GetAsync("/projects"), HttpStatusCode.OK);
        var tasks = await TestTenant.ExpectAsync(await tenant.Api.GetAsync($"/projects/{project}/tasks"), HttpStatusCode.OK);
        return (projects.GetProperty("total").GetInt32(), tasks.GetProperty("total").GetInt32());
    }
}
