using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace TieredTenancy.Bench;

/// <summary>
/// A tenant the throughput measurement loads: made through the admin API, with an admin-role client
/// of its own and that client's token, one project of <see cref="TaskCount"/> tasks made through the
/// Api with that token (the reads list it), and an empty project that the writes add tasks to.
/// </summary>
public sealed record ApiTenant(ThroughputTier Tier, Guid Id, string Slug, string Token, Guid ProjectId, Guid WriteProjectId)
{
    public const int TaskCount = 50;

    /// <summary>The tenancy route: the tenant's tasks, resolved from the bearer token.</summary>
    public string TenancyPath => $"/projects/{ProjectId}/tasks";

    /// <summary>The baseline route: the same query on the same data, without tenancy (no token).</summary>
    public string PlainPath => $"/plain/tenants/{Id}/projects/{ProjectId}/tasks";

    public HttpRequestMessage TenancyRequest() => new(HttpMethod.Get, TenancyPath)
    {
        Headers = { Authorization = new AuthenticationHeaderValue("Bearer", Token) },
    };

    public HttpRequestMessage PlainRequest() => new(HttpMethod.Get, PlainPath);

    /// <summary>A new task through the tenancy route (201).</summary>
    public HttpRequestMessage TenancyWriteRequest() => new(HttpMethod.Post, $"/projects/{WriteProjectId}/tasks")
    {
        Headers = { Authorization = new AuthenticationHeaderValue("Bearer", Token) },
        Content = WriteBody(),
    };

    /// <summary>The same new task through the plain baseline (201).</summary>
    public HttpRequestMessage PlainWriteRequest() => new(HttpMethod.Post, $"/plain/tenants/{Id}/projects/{WriteProjectId}/tasks") { Content = WriteBody() };

    public Func<HttpRequestMessage> Request(ApiRoute route) => route switch
    {
        ApiRoute.TenancyRead => TenancyRequest,
        ApiRoute.PlainRead => PlainRequest,
        ApiRoute.TenancyWrite => TenancyWriteRequest,
        _ => PlainWriteRequest,
    };

    private static readonly byte[] WriteJson = """{"title":"bench write","assignee":"bench"}"""u8.ToArray();

    private static ByteArrayContent WriteBody() => new(WriteJson) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };

    /// <param name="admin">The Provisioner, with a platform-admin token.</param>
    /// <param name="api">The Api replica the load goes to.</param>
    public static async Task<ApiTenant> CreateAsync(BenchStack stack, HttpClient admin, HttpClient api, ThroughputTier tier, SlugSource slugs)
    {
        var slug = slugs.Next(tier.Plan);
        var tenant = await ExpectAsync(await admin.PostAsJsonAsync("/admin/tenants", new { slug, name = $"Bench {slug}", plan = tier.Plan }),
            HttpStatusCode.Created);
        var isolation = tenant.GetProperty("isolation").GetString();
        if (isolation != tier.Isolation)
        {
            throw new InvalidOperationException($"Plan '{tier.Plan}' provisioned '{slug}' at {isolation} isolation, not {tier.Isolation}.");
        }
        var id = tenant.GetProperty("id").GetGuid();

        var client = await ExpectAsync(await admin.PostAsJsonAsync($"/admin/tenants/{id}/clients", new { name = "bench", role = "admin" }),
            HttpStatusCode.Created);
        var token = await stack.TokenAsync(client.GetProperty("clientId").GetString()!, client.GetProperty("clientSecret").GetString()!);

        var project = await ExpectAsync(await SendAsync(api, HttpMethod.Post, "/projects", token, new { name = "bench" }), HttpStatusCode.Created);
        var projectId = project.GetProperty("id").GetGuid();
        var writeProject = await ExpectAsync(await SendAsync(api, HttpMethod.Post, "/projects", token, new { name = "bench writes" }), HttpStatusCode.Created);
        for (var n = 1; n <= TaskCount; n++)
        {
            await ExpectAsync(await SendAsync(api, HttpMethod.Post, $"/projects/{projectId}/tasks", token, new { title = $"task {n}" }),
                HttpStatusCode.Created);
        }

        var created = new ApiTenant(tier, id, slug, token, projectId, writeProject.GetProperty("id").GetGuid());
        await created.VerifySameDataAsync(api);
        return created;
    }

    /// <summary>Both routes answer 200 with the same <see cref="TaskCount"/> tasks, before any load.</summary>
    private async Task VerifySameDataAsync(HttpClient api)
    {
        using var tenancyRequest = TenancyRequest();
        var tenancy = await ExpectAsync(await api.SendAsync(tenancyRequest), HttpStatusCode.OK);
        using var plainRequest = PlainRequest();
        var plain = await ExpectAsync(await api.SendAsync(plainRequest), HttpStatusCode.OK);

        var tenancyIds = tenancy.GetProperty("items").EnumerateArray().Select(task => task.GetProperty("id").GetGuid()).ToList();
        var plainIds = plain.GetProperty("items").EnumerateArray().Select(task => task.GetProperty("id").GetGuid()).ToList();
        if (tenancy.GetProperty("total").GetInt32() != TaskCount || tenancyIds.Count != TaskCount || !tenancyIds.SequenceEqual(plainIds))
        {
            throw new InvalidOperationException($"'{Slug}': the tenancy route listed {tenancyIds.Count} task(s) (total "
                + $"{tenancy.GetProperty("total").GetInt32()}), the plain route {plainIds.Count}; expected the same {TaskCount}.");
        }
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient api, HttpMethod method, string path, string token, object body)
    {
        using var request = new HttpRequestMessage(method, path)
        {
            Headers = { Authorization = new AuthenticationHeaderValue("Bearer", token) },
            Content = JsonContent.Create(body),
        };
        return await api.SendAsync(request);
    }

    private static async Task<JsonElement> ExpectAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != expected)
            {
                throw new InvalidOperationException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.PathAndQuery} "
                    + $"answered {(int)response.StatusCode}, expected {(int)expected}: {body}");
            }
            return JsonDocument.Parse(body).RootElement.Clone();
        }
    }
}
