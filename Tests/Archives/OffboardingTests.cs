using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using TieredTenancy.Tests.Moves;
using TieredTenancy.Tests.Provisioning;
using TieredTenancy.Tests.Stack;
using TieredTenancy.Tests.TenantPlane;

namespace TieredTenancy.Tests.Archives;

/// <summary>
/// Offboarding in every tier: the tenant is refused at once, its clients revoked, its data archived,
/// deleted everywhere and looked for afterwards; the tombstone carries a deletion certificate; other
/// tenants are untouched; a Provisioner killed midway finishes it.
/// </summary>
[Collection(OperationsCollection.Name)]
public sealed class OffboardingTests(OperationsFixture stack)
{
    private DistributedApplication App => stack.App;

    [Theory]
    [InlineData("pro")]
    [InlineData("business")]
    [InlineData("enterprise")]
    public async Task Offboarding_deletes_the_tenant_everywhere_verifies_it_and_certifies_it(string plan)
    {
        using var admin = await App.AdminClientAsync();
        using var bystander = await SeededAsync(plan);
        var bystanderBefore = await TestPlacement.From(await TenantAsync(admin, bystander.Tenant.Id)).CountAsync(App, bystander.Tenant.Id);
        using var leaving = await SeededAsync(plan);
        var (clientId, secret) = await admin.CreateClientAsync(leaving.Tenant.Id.ToString());
        var placement = TestPlacement.From(await TenantAsync(admin, leaving.Tenant.Id));
        var replicas = (await Replicas.BaseAddressesAsync(App, "api", expected: 2)).Select(address => TestTenants.Authorized(address, leaving.Tenant.Token)).ToList();
        foreach (var replica in replicas)
        {
            Assert.Equal(HttpStatusCode.OK, (await replica.GetAsync("/projects")).StatusCode);
        }

        var since = DateTimeOffset.UtcNow;
        using var started = await admin.DeleteAsync($"/admin/tenants/{leaving.Tenant.Id}");
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        Assert.Equal("offboard", (await started.JsonAsync()).GetProperty("kind").GetString());
        // Refused at once: every replica applied the suspension's broadcast within a second (by the services' own clocks), and refuses from then on.
        await RegistryChangeWatch.AppliedEverywhereAsync(App, "api", 2, leaving.Tenant.Id.ToString(), since);
        await Security.ReplicaWatch.UntilEveryReplicaAnswersAsync(replicas, "/projects", HttpStatusCode.Forbidden, RegistryChangeWatch.Deadline, System.Diagnostics.Stopwatch.StartNew());
        // The tenant's clients keep asking while it is deleted: a lookup racing the deletion of its Redis keys must not write one back.
        using var asking = new CancellationTokenSource();
        var refused = replicas.Select(replica => KeepAskingAsync(replica, asking.Token)).ToList();
        var operation = await OperationWatch.WaitForEndAsync(admin, started.Headers.Location!.ToString());
        await asking.CancelAsync();
        var answers = (await Task.WhenAll(refused)).SelectMany(statuses => statuses).ToList();
        Assert.True(answers.Count >= 10, $"only {answers.Count} requests during the offboarding");
        Assert.All(answers, status => Assert.Equal(HttpStatusCode.Forbidden, status));
        Assert.True(operation.GetProperty("status").GetString() == "succeeded", operation.ToString());
        // Its clients were revoked with the broadcast: every replica refuses their tokens now, not when they expire.
        await RegistryChangeWatch.AppliedEverywhereAsync(App, "api", 2, Tenancy.Registry.RegistryChanges.ClientTag(clientId), since);

        var tombstone = await TenantAsync(admin, leaving.Tenant.Id);
        Assert.Equal("deleted", tombstone.GetProperty("status").GetString());
        await using (var catalog = await App.OpenAsync("catalog"))
        {
            // The tombstone keeps only what must outlive the tenant: not its name, not its login's credentials.
            Assert.Equal(leaving.Tenant.Slug, await catalog.ScalarAsync<string>("SELECT name FROM tenants WHERE id = $1", leaving.Tenant.Id));
            Assert.Null(await catalog.ScalarAsync<string>("SELECT placement_protected_connection_string FROM tenants WHERE id = $1", leaving.Tenant.Id));
        }
        var certificate = tombstone.GetProperty("deletion");
        var deleted = certificate.GetProperty("deletedRows");
        Assert.Equal((1, 4, 2), (deleted.GetProperty("projects").GetInt32(), deleted.GetProperty("tasks").GetInt32(), deleted.GetProperty("comments").GetInt32()));
        Assert.True(deleted.GetProperty("audit_entries").GetInt32() > 0);
        var checks = certificate.GetProperty("checks").EnumerateArray().ToList();
        Assert.True(checks.Count >= 10, certificate.ToString());
        Assert.All(checks, check => Assert.Equal(0, check.GetProperty("found").GetInt64()));
        Assert.Equal(2, certificate.GetProperty("revokedClients").GetInt32());
        // The archive the certificate names is in the archive store, with that size and that hash, and holds the tenant's rows.
        var archived = certificate.GetProperty("archive");
        var archivePath = Path.Combine(await ArchiveFolderAsync(), archived.GetProperty("file").GetString()!);
        var archiveBytes = await File.ReadAllBytesAsync(archivePath);
        Assert.Equal(archived.GetProperty("bytes").GetInt64(), archiveBytes.LongLength);
        Assert.Equal(archived.GetProperty("sha256").GetString(), Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(archiveBytes)));
        var manifest = ArchiveApi.Manifest(archiveBytes);
        Assert.Equal(leaving.Tenant.Id.ToString(), manifest["tenant"]!["id"]!.GetValue<string>());
        Assert.Equal(4L, manifest["files"]!.AsArray().Single(file => file!["table"]!.GetValue<string>() == "tasks")!["rows"]!.GetValue<long>());

        // What the certificate says, looked at independently.
        await placement.AssertGoneAsync(App, leaving.Tenant.Id);
        await new TestPlacement("postgres", "tenants", "public", 0).AssertGoneAsync(App, leaving.Tenant.Id);
        using (var token = await App.RequestTokenAsync(clientId, secret))
        {
            Assert.False(token.IsSuccessStatusCode);
        }
        foreach (var replica in replicas)
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await replica.GetAsync("/projects")).StatusCode);
        }
        // Looked for by the test itself, in PostgreSQL and in Redis, also after the refused requests above.
        var remains = await TenantRemains.FindAsync(App, leaving.Tenant.Id);
        Assert.True(remains.Count == 0, "left of the offboarded tenant: " + string.Join("; ", remains));
        Assert.Equal(bystanderBefore, await TestPlacement.From(await TenantAsync(admin, bystander.Tenant.Id)).CountAsync(App, bystander.Tenant.Id));
        Assert.Equal(HttpStatusCode.OK, (await bystander.Tenant.Api.GetAsync("/projects")).StatusCode);

        // The slug stays the tombstone's for the retention period.
        using var again = await admin.PostAsJsonAsync("/admin/tenants", new { slug = leaving.Tenant.Slug, name = "Again", plan });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        replicas.ForEach(replica => replica.Dispose());
    }

    private static async Task<List<HttpStatusCode>> KeepAskingAsync(HttpClient replica, CancellationToken stop)
    {
        var statuses = new List<HttpStatusCode>();
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var response = await replica.GetAsync("/projects", stop);
                statuses.Add(response.StatusCode);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
        }
        return statuses;
    }

    [Fact]
    public async Task A_grace_period_keeps_the_tenant_suspended_and_a_resume_cancels_the_offboarding()
    {
        using var admin = await App.AdminClientAsync();
        using var tenant = await SeededAsync("business");
        using var started = await admin.DeleteAsync($"/admin/tenants/{tenant.Tenant.Id}?after=P7D");
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        Assert.Equal("suspended", (await TenantAsync(admin, tenant.Tenant.Id)).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, (await tenant.Tenant.Api.GetAsync("/projects")).StatusCode);
        using (var invalid = await admin.DeleteAsync($"/admin/tenants/{tenant.Tenant.Id}?after=seven-days"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        }

        using var resume = await admin.PostAsync($"/admin/tenants/{tenant.Tenant.Id}/resume", null);
        Assert.Equal(HttpStatusCode.OK, resume.StatusCode);
        var operation = await admin.GetFromJsonAsync<JsonElement>(started.Headers.Location!.ToString());
        Assert.Equal("rolledBack", operation.GetProperty("status").GetString());
        Assert.Contains("resumed", operation.GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.OK, (await tenant.Tenant.Api.GetAsync($"/projects/{tenant.Project}/tasks")).StatusCode);
    }

    [Fact]
    public async Task A_Provisioner_killed_mid_offboarding_finishes_it_at_restart()
    {
        using var admin = await App.AdminClientAsync();
        var redis = await OperationWatch.RedisAsync(App);
        using var tenant = await SeededAsync("enterprise");
        var placement = TestPlacement.From(await TenantAsync(admin, tenant.Tenant.Id));
        using var request = new HttpRequestMessage(HttpMethod.Delete, $"/admin/tenants/{tenant.Tenant.Id}") { Headers = { { "X-Fault-Injection", "pause:deleting" } } };
        using var started = await admin.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var location = started.Headers.Location!.ToString();
        var operationId = OperationWatch.IdOf(location);
        await OperationWatch.WaitUntilPausedAsync(redis, operationId, "deleting");

        await ProvisionerProcess.KillAndRestartAsync(App);
        await OperationWatch.ReleaseAsync(redis, operationId, "deleting");

        var operation = await OperationWatch.WaitForEndAsync(admin, location);
        Assert.True(operation.GetProperty("status").GetString() == "succeeded", operation.ToString());
        Assert.True(operation.GetProperty("attempts").GetInt32() >= 2);
        var remains = await TenantRemains.FindAsync(App, tenant.Tenant.Id);
        Assert.True(remains.Count == 0, "left of the offboarded tenant: " + string.Join("; ", remains));
        var tombstone = await TenantAsync(admin, tenant.Tenant.Id);
        Assert.Equal("deleted", tombstone.GetProperty("status").GetString());
        Assert.All(tombstone.GetProperty("deletion").GetProperty("checks").EnumerateArray(), check => Assert.Equal(0, check.GetProperty("found").GetInt64()));
        Assert.Equal(4, tombstone.GetProperty("deletion").GetProperty("deletedRows").GetProperty("tasks").GetInt32());
        await placement.AssertGoneAsync(App, tenant.Tenant.Id);
    }

    private sealed record Seeded(TestTenant Tenant, string Project) : IDisposable
    {
        public void Dispose() => Tenant.Dispose();
    }

    /// <summary>A tenant with a project of four tasks, two with a comment.</summary>
    private async Task<Seeded> SeededAsync(string plan)
    {
        var tenant = await TestTenants.CreateAsync(App, plan);
        var project = (await tenant.CreateProjectAsync("project")).GetProperty("id").GetString()!;
        for (var i = 0; i < 4; i++)
        {
            var task = (await tenant.CreateTaskAsync(project, $"task {i}")).GetProperty("id").GetString()!;
            if (i % 2 == 0)
            {
                await tenant.CreateCommentAsync(task, $"comment {i}");
            }
        }
        return new Seeded(tenant, project);
    }

    /// <summary>The archive store's folder, as the Provisioner process was given it.</summary>
    private async Task<string> ArchiveFolderAsync() =>
        ServiceProcesses.Environment(await ProvisionerProcess.CurrentAsync(App))["Archives__Folder"];

    private static async Task<JsonElement> TenantAsync(HttpClient admin, Guid id) => await admin.GetFromJsonAsync<JsonElement>($"/admin/tenants/{id}");
}
