using System.Net;
using System.Text;
using TieredTenancy.Tests.Stack;

namespace TieredTenancy.Tests.TenantPlane;

/// <summary>The audit of platform-admin access comes first: before the endpoint reads its body, so a refused request is audited too.</summary>
[Collection(StackCollection.Name)]
public sealed class PlatformAdminAuditTests(StackFixture stack)
{
    [Fact]
    public async Task A_platform_admin_request_refused_for_its_body_is_audited_all_the_same()
    {
        using var tenant = await TestTenants.CreateAsync(stack.App, "business");
        using var admin = stack.App.Authorized("api", await stack.App.TokenAsync("platform-admin", await stack.App.ParameterAsync("platform-admin-secret")));

        foreach (var (body, contentType, expected) in new[]
        {
            ("{\"name\": ", "application/json", HttpStatusCode.BadRequest),
            ("a project", "text/plain", HttpStatusCode.UnsupportedMediaType),
        })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/projects")
            {
                Headers = { { "X-Tenant", tenant.Slug } },
                Content = new StringContent(body, Encoding.UTF8, contentType),
            };
            using var response = await admin.SendAsync(request);
            await TestTenant.ExpectAsync(response, expected);
        }

        var trail = await TestTenant.ExpectAsync(await tenant.Api.GetAsync("/audit-events"), HttpStatusCode.OK);
        var accesses = trail.GetProperty("items").EnumerateArray().Where(e => e.GetProperty("action").GetString() == "platform-admin.access").ToList();
        Assert.Equal(2, accesses.Count);
        Assert.All(accesses, access => Assert.Equal("POST /projects", access.GetProperty("target").GetString()));
        Assert.Equal(0, (await TestTenant.ExpectAsync(await tenant.Api.GetAsync("/projects"), HttpStatusCode.OK)).GetProperty("total").GetInt32());
    }
}
