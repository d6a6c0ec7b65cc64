using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace TieredTenancy.Bench.Moves;

/// <summary>
/// A row tenant of <c>--rows</c> rows (a project per 200 rows, half tasks and half comments) with an
/// admin client's token, the Api replicas' addresses and its first project: what a benchmark moves
/// while writers create tasks in that project.
/// </summary>
public sealed record SeededTenant(Guid Id, BenchPlacement Placement, long Rows, string Token, IReadOnlyList<Uri> Replicas, Guid ProjectId)
{
    public static async Task<SeededTenant> CreateAsync(BenchStack stack, HttpClient admin, BenchOptions options, string slugPrefix)
    {
        var slug = $"{slugPrefix}-{Guid.NewGuid():N}"[..30];
        var tenant = await ExpectAsync(await admin.PostAsJsonAsync("/admin/tenants", new { slug, name = slugPrefix, plan = "pro" }), HttpStatusCode.Created);
        var tenantId = tenant.GetProperty("id").GetGuid();
        var placement = BenchPlacement.From(tenant);
        var projects = Math.Max(1, options.MoveRows / 200);
        Console.Error.WriteLine($"{slugPrefix}: seeding {projects} projects, {options.MoveRows / 2} tasks and as many comments...");
        await placement.SeedAsync(stack, tenantId, projects, options.MoveRows / 2);
        var rows = await placement.CountRowsAsync(stack, tenantId);

        var client = await ExpectAsync(await admin.PostAsJsonAsync($"/admin/tenants/{tenantId}/clients", new { name = slugPrefix, role = "admin" }),
            HttpStatusCode.Created);
        var token = await stack.TokenAsync(client.GetProperty("clientId").GetString()!, client.GetProperty("clientSecret").GetString()!);
        var replicas = await ApiReplica.BaseAddressesAsync(stack.App, BenchStack.Timeout);
        return new SeededTenant(tenantId, placement, rows, token, replicas, await FirstProjectAsync(replicas[0], token));
    }

    private static async Task<Guid> FirstProjectAsync(Uri replica, string token)
    {
        using var client = new HttpClient { BaseAddress = replica };
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        var page = await client.GetFromJsonAsync<JsonElement>("/projects?pageSize=1");
        return page.GetProperty("items")[0].GetProperty("id").GetGuid();
    }

    public static async Task<JsonElement> ExpectAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            return response.StatusCode == expected
                ? JsonDocument.Parse(body).RootElement
                : throw new InvalidOperationException($"{response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}: {body}");
        }
    }
}
