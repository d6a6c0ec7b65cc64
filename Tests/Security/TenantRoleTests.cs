using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Aspire.Hosting.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using TieredTenancy.Tests.Provisioning;
using TieredTenancy.Tests.Stack;
using TieredTenancy.Tests.TenantPlane;

namespace TieredTenancy.Tests.Security;

/// <summary>
/// Tenant roles in the Api: a member works with projects, tasks and comments; only an admin
/// deletes projects, reads the audit trail, exports, and manages the tenant's member clients.
/// </summary>
[Collection(SecurityCollection.Name)]
public sealed class TenantRoleTests(SecurityFixture stack)
{
    /// <summary>Every admin-only route of the Api, by operation id; the first test proves the list is whole.</summary>
    private static readonly string[] AdminOnly = ["DeleteProject", "ListAuditEvents", "ExportOwnData", "ListClients", "CreateMemberClient", "RevokeMemberClient"];

    public static TheoryData<string> AdminOnlyOperations() => new(AdminOnly);

    // The summaries of admin-only operations say so.
    private const string AdminOnlyMark = "(the tenant's admin clients)";

    [Fact]
    public async Task The_admin_only_routes_tested_here_are_every_admin_only_route_of_the_Api()
    {
        using var client = stack.App.CreateHttpClient("api");
        var document = await (await client.GetAsync("/openapi/v1.json")).JsonAsync();
        var marked = document.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject())
            .Where(operation => operation.Value.GetProperty("summary").GetString()!.EndsWith(AdminOnlyMark, StringComparison.Ordinal))
            .Select(operation => operation.Value.GetProperty("operationId").GetString()!)
            .Order();
        Assert.Equal(AdminOnly.Order(), marked);
    }

    [Theory]
    [MemberData(nameof(AdminOnlyOperations))]
    public async Task A_member_gets_403_problem_details_on_an_admin_only_route_which_changes_nothing_and_an_admin_succeeds(string operation)
    {
        // Business: its plan has the audit trail, so the route answers on its role alone.
        using var tenant = await TestTenants.CreateAsync(stack.App, "business");
        using var admin = await stack.App.AdminClientAsync();
        var (memberId, memberSecret) = await admin.CreateClientAsync(tenant.Id.ToString());
        using var member = stack.App.Authorized("api", await stack.App.TokenAsync(memberId, memberSecret));
        var project = (await tenant.CreateProjectAsync("Kept")).GetProperty("id").GetString()!;
        var (target, _) = await admin.CreateClientAsync(tenant.Id.ToString());

        var (method, path, body, success) = operation switch
        {
            "DeleteProject" => (HttpMethod.Delete, $"/projects/{project}", null, HttpStatusCode.NoContent),
            "ListAuditEvents" => (HttpMethod.Get, "/audit-events", null, HttpStatusCode.OK),
            "ExportOwnData" => (HttpMethod.Get, "/tenant/export", null, HttpStatusCode.OK),
            "ListClients" => (HttpMethod.Get, "/clients", null, HttpStatusCode.OK),
            "CreateMemberClient" => (HttpMethod.Post, "/clients", new { name = "made by an admin" }, HttpStatusCode.Created),
            "RevokeMemberClient" => (HttpMethod.Delete, $"/clients/{target}", (object?)null, HttpStatusCode.NoContent),
            _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, "no request for this operation"),
        };
        HttpRequestMessage Request() => new(method, path) { Content = body is null ? null : JsonContent.Create(body) };

        using (var refused = await member.SendAsync(Request()))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            Assert.Contains("admin", (await refused.JsonAsync()).GetProperty("detail").GetString());
        }
        // Nothing changed: the project is there, the tenant still has its three clients (admin, member, target), none revoked.
        Assert.Equal(HttpStatusCode.OK, (await tenant.Api.GetAsync($"/projects/{project}")).StatusCode);
        var clients = await (await admin.GetAsync($"/admin/tenants/{tenant.Id}/clients")).JsonAsync();
        Assert.Equal(3, clients.GetProperty("total").GetInt32());
        Assert.All(clients.GetProperty("items").EnumerateArray(), client => Assert.Equal(System.Text.Json.JsonValueKind.Null, client.GetProperty("revokedAt").ValueKind));

        using var allowed = await tenant.Api.SendAsync(Request());
        Assert.True(allowed.StatusCode == success, $"{method} {path} as admin answered {(int)allowed.StatusCode}: {await allowed.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public async Task A_member_works_with_projects_tasks_and_comments()
    {
        using var tenant = await TestTenants.CreateAsync(stack.App, "pro");
        using var admin = await stack.App.AdminClientAsync();
        var (memberId, memberSecret) = await admin.CreateClientAsync(tenant.Id.ToString());
        using var member = stack.App.Authorized("api", await stack.App.TokenAsync(memberId, memberSecret));

        var project = await TestTenant.ExpectAsync(await member.PostAsJsonAsync("/projects", new { name = "Members' project" }), HttpStatusCode.Created);
        var projectId = project.GetProperty("id").GetString()!;
        await TestTenant.ExpectAsync(await member.PutAsJsonAsync($"/projects/{projectId}", new { name = "Renamed" }), HttpStatusCode.OK);
        var taskId = await member.CreateTaskAsync(projectId, "Write the report");
        await TestTenant.ExpectAsync(await member.PutAsJsonAsync($"/tasks/{taskId}", new { title = "Write the report", status = "done" }), HttpStatusCode.OK);
        await TestTenant.ExpectAsync(await member.PostAsJsonAsync($"/tasks/{taskId}/comments", new { body = "Done." }), HttpStatusCode.Created);
        await TestTenant.ExpectAsync(await member.GetAsync($"/tasks/{taskId}/comments"), HttpStatusCode.OK);
        await TestTenant.ExpectAsync(await member.GetAsync($"/projects/{projectId}/tasks"), HttpStatusCode.OK);
        await TestTenant.ExpectAsync(await member.GetAsync("/tasks/search?q=report"), HttpStatusCode.OK);
        await TestTenant.ExpectAsync(await member.DeleteAsync($"/tasks/{taskId}"), HttpStatusCode.NoContent);
        await TestTenant.ExpectAsync(await member.GetAsync("/tenant"), HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_tenant_admin_makes_and_revokes_only_member_clients_of_its_own_tenant()
    {
        using var tenant = await TestTenants.CreateAsync(stack.App, "pro");
        using var admin = await stack.App.AdminClientAsync();
        var (otherTenantsClient, _) = await admin.CreateClientAsync((await admin.CreateTenantAsync("pro")).GetProperty("id").GetString()!);
        var (secondAdmin, _) = await admin.CreateClientAsync(tenant.Id.ToString(), "admin");

        string memberId, memberSecret;
        using (var created = await tenant.Api.PostAsJsonAsync("/clients", new { name = "ci pipeline" }))
        {
            var body = await TestTenant.ExpectAsync(created, HttpStatusCode.Created);
            (memberId, memberSecret) = (body.GetProperty("clientId").GetString()!, body.GetProperty("clientSecret").GetString()!);
            Assert.Equal($"/clients/{memberId}", created.Headers.Location?.ToString());
        }
        var memberToken = await stack.App.TokenAsync(memberId, memberSecret);
        Assert.Equal("member", new JsonWebToken(memberToken).GetClaim("role").Value);
        var memberReplicas = (await Replicas.BaseAddressesAsync(stack.App, "api", expected: 2)).Select(replica => TestTenants.Authorized(replica, memberToken)).ToList();
        await ReplicaWatch.UntilEveryReplicaAnswersAsync(memberReplicas, "/projects", HttpStatusCode.OK, RegistryChangeWatch.Deadline, Stopwatch.StartNew());

        await TestTenant.ExpectProblemAsync(await tenant.Api.PostAsJsonAsync("/clients", new { name = "another admin", role = "admin" }), HttpStatusCode.Forbidden);
        await TestTenant.ExpectProblemAsync(await tenant.Api.PostAsJsonAsync("/clients", new { name = "" }), HttpStatusCode.BadRequest);
        await TestTenant.ExpectProblemAsync(await tenant.Api.DeleteAsync($"/clients/{secondAdmin}"), HttpStatusCode.Forbidden);
        await TestTenant.ExpectProblemAsync(await tenant.Api.DeleteAsync($"/clients/{otherTenantsClient}"), HttpStatusCode.NotFound);
        await TestTenant.ExpectProblemAsync(await tenant.Api.DeleteAsync("/clients/tc_nobody"), HttpStatusCode.NotFound);

        var since = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        await TestTenant.ExpectAsync(await tenant.Api.DeleteAsync($"/clients/{memberId}"), HttpStatusCode.NoContent);
        await RegistryChangeWatch.AppliedEverywhereAsync(stack.App, "api", 2, TieredTenancy.Tenancy.Registry.RegistryChanges.ClientTag(memberId), since);
        await ReplicaWatch.UntilEveryReplicaAnswersAsync(memberReplicas, "/projects", HttpStatusCode.Unauthorized, RegistryChangeWatch.Deadline, clock);
        memberReplicas.ForEach(replica => replica.Dispose());

        var listed = await TestTenant.ExpectAsync(await tenant.Api.GetAsync("/clients"), HttpStatusCode.OK);
        var items = listed.GetProperty("items").EnumerateArray().ToDictionary(item => item.GetProperty("clientId").GetString()!);
        Assert.Equal(3, items.Count);
        Assert.NotEqual(System.Text.Json.JsonValueKind.Null, items[memberId].GetProperty("revokedAt").ValueKind);
        Assert.DoesNotContain(otherTenantsClient, items.Keys);

        // The control plane names the tenant admin who did it.
        await using var catalog = await stack.App.OpenAsync("catalog");
        var adminClientId = new JsonWebToken(tenant.Token).Subject;
        Assert.Equal(1L, await catalog.ScalarAsync<long>(
            "SELECT count(*) FROM audit_events WHERE tenant_id = $1 AND action = 'client.create' AND actor = $2", tenant.Id, adminClientId));
        Assert.Equal(1L, await catalog.ScalarAsync<long>(
            "SELECT count(*) FROM audit_events WHERE tenant_id = $1 AND action = 'client.revoke' AND actor = $2", tenant.Id, adminClientId));
    }

    [Fact]
    public async Task Self_service_takes_a_tenant_admin_token_only()
    {
        using var tenant = await TestTenants.CreateAsync(stack.App, "free");
        using var admin = await stack.App.AdminClientAsync();
        var (memberId, memberSecret) = await admin.CreateClientAsync(tenant.Id.ToString());
        var platformToken = await stack.App.TokenAsync("platform-admin", await stack.App.ParameterAsync("platform-admin-secret"));

        // Through the Api: a platform admin acting on the tenant is sent to the control plane.
        using (var platform = stack.App.Authorized("api", platformToken))
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/clients") { Headers = { { "X-Tenant", tenant.Slug } } })
        {
            await TestTenant.ExpectProblemAsync(await platform.SendAsync(request), HttpStatusCode.Forbidden);
        }
        // Straight at the Provisioner: no token, a member's, a platform admin's.
        using (var anonymous = stack.App.CreateHttpClient("provisioner"))
        {
            await TestTenant.ExpectProblemAsync(await anonymous.GetAsync("/tenant/clients"), HttpStatusCode.Unauthorized);
        }
        using (var member = stack.App.Authorized("provisioner", await stack.App.TokenAsync(memberId, memberSecret)))
        {
            await TestTenant.ExpectProblemAsync(await member.GetAsync("/tenant/clients"), HttpStatusCode.Forbidden);
        }
        using (var platform = stack.App.Authorized("provisioner", platformToken))
        {
            await TestTenant.ExpectProblemAsync(await platform.GetAsync("/tenant/clients"), HttpStatusCode.Forbidden);
        }
        // A tenant admin's token reaches only the control plane's self-service routes, never the admin API.
        using (var tenantAdmin = stack.App.Authorized("provisioner", tenant.Token))
        {
            Assert.Equal(HttpStatusCode.OK, (await tenantAdmin.GetAsync("/tenant/clients")).StatusCode);
            await TestTenant.ExpectProblemAsync(await tenantAdmin.GetAsync($"/admin/tenants/{tenant.Id}/clients"), HttpStatusCode.Forbidden);
        }
    }
}
