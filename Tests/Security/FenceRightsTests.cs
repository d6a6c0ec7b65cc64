using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using TieredTenancy.Tests.Moves;
using TieredTenancy.Tests.Stack;
using TieredTenancy.Tests.TenantPlane;

namespace TieredTenancy.Tests.Security;

/// <summary>
/// The placement fence is the platform's word that a placement no longer serves a tenant: no tenant
/// role may change it, also after a restart, whose start-up grants run over every table again.
/// </summary>
[Collection(OperationsCollection.Name)]
public sealed class FenceRightsTests(OperationsFixture stack)
{
    private static readonly string[] TableRights = ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE"];

    [Fact]
    public async Task After_a_restart_neither_the_api_login_nor_a_tenant_database_login_holds_any_right_on_the_fence_table()
    {
        var app = stack.App;
        await ProvisionerProcess.KillAndRestartAsync(app);
        // Cloned from the template after the restart re-ran the template's grants.
        using var tenant = await TestTenants.CreateAsync(app, "enterprise");
        using var admin = await app.AdminClientAsync();
        var placement = TestPlacement.From(await admin.GetFromJsonAsync<JsonElement>($"/admin/tenants/{tenant.Id}"));

        await using (var shared = await app.OpenAsync("tenants"))
        {
            await AssertNoRightsAsync(shared, "tt_app");
            Assert.False(await shared.ScalarAsync<bool>("SELECT relrowsecurity FROM pg_class WHERE oid = 'public.tt_placement_fences'::regclass"));
        }
        await using (var template = await app.OpenAsync(placement.Server, "tt_template"))
        {
            await AssertNoRightsAsync(template, "tt_tenant_db");
        }
        await using (var database = await app.OpenAsync(placement.Server, placement.Database))
        {
            await AssertNoRightsAsync(database, "tt_tenant_db");
            await AssertNoRightsAsync(database, placement.Database);
        }

        // And as the Api's own login: refused by PostgreSQL, not merely filtered to no rows.
        await using var asApp = new NpgsqlConnection((await app.AppRoleConnectionAsync()).ConnectionString);
        await asApp.OpenAsync();
        foreach (var sql in new[] { "UPDATE public.tt_placement_fences SET refused_through_epoch = 0", "DELETE FROM public.tt_placement_fences" })
        {
            var refused = await Assert.ThrowsAsync<PostgresException>(() => asApp.ExecuteAsync(sql));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
        }
    }

    private static async Task AssertNoRightsAsync(NpgsqlConnection connection, string role)
    {
        foreach (var right in TableRights)
        {
            Assert.False(await connection.ScalarAsync<bool>("SELECT has_table_privilege($1, 'public.tt_placement_fences', $2)", role, right),
                $"{role} holds {right} on tt_placement_fences in {connection.Database}");
        }
    }
}
