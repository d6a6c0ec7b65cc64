using System.Diagnostics;
using System.Net;
using Npgsql;
using TieredTenancy.Tenancy.Registry;
using TieredTenancy.Tests.Stack;
using TieredTenancy.Tests.TenantPlane;
using Xunit.Abstractions;

namespace TieredTenancy.Tests.Capacity;

/// <summary>Each tier's statement timeout is a setting of the login the Api connects with, and PostgreSQL enforces it.</summary>
[Collection(CapacityCollection.Name)]
public sealed class StatementTimeoutTests(CapacityFixture stack, ITestOutputHelper output)
{
    [Theory]
    [InlineData("free")]
    [InlineData("business")]
    [InlineData("enterprise")]
    public async Task A_slow_query_is_cut_at_its_tiers_statement_timeout_and_answers_504_naming_the_limit(string plan)
    {
        using var tenant = await TestTenants.CreateAsync(stack.App, plan);
        var limit = plan == "enterprise" ? CapacityFixture.DedicatedStatementTimeout : CapacityFixture.SharedStatementTimeout;

        // The first such query on a replica compiles it (seconds on a loaded machine): not what is measured.
        await TestTenant.ExpectAsync(await tenant.Api.GetAsync("/testing/slow-query?seconds=0"), HttpStatusCode.OK);
        var clock = Stopwatch.StartNew();
        using var response = await tenant.Api.GetAsync("/testing/slow-query?seconds=60");
        clock.Stop();
        var body = await response.Content.ReadAsStringAsync();
        output.WriteLine($"{plan}: {(int)response.StatusCode} after {clock.Elapsed.TotalSeconds:0.00} s (limit {limit.TotalSeconds} s): {body}");

        Assert.True(HttpStatusCode.GatewayTimeout == response.StatusCode, $"answered {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("statement timeout", body);
        Assert.Contains($"{limit.TotalSeconds:0.###} s", body);
        // Cut by the database at the limit, not by a client or proxy timeout far later (margin for a loaded machine).
        Assert.InRange(clock.Elapsed, limit * 0.9, limit + TimeSpan.FromSeconds(10));

        // The pool's connection was not lost with the query: the tenant goes on at once.
        await TestTenant.ExpectAsync(await tenant.Api.GetAsync("/projects"), HttpStatusCode.OK);
    }

    [Fact]
    public async Task The_api_logins_carry_their_tiers_timeouts_and_the_provisioner_login_none()
    {
        using var tenant = await TestTenants.CreateAsync(stack.App, "enterprise");

        await using (var app = new NpgsqlConnection((await stack.App.AppRoleConnectionAsync()).ConnectionString))
        {
            await app.OpenAsync();
            Assert.Equal("1500ms", await app.ScalarAsync<string>("SHOW statement_timeout"));
            Assert.Equal("30s", await app.ScalarAsync<string>("SHOW idle_in_transaction_session_timeout"));
        }

        await using var dedicated = await stack.App.OpenAsync("postgres-dedicated");
        var login = await dedicated.ScalarAsync<string>(
            "SELECT array_to_string(rolconfig, ',') FROM pg_roles WHERE rolname = $1", TenantNames.DatabaseRole(tenant.Id));
        Assert.Equal("statement_timeout=3000,idle_in_transaction_session_timeout=30000", login);
        Assert.Null(await dedicated.ScalarAsync<string>("SELECT array_to_string(rolconfig, ',') FROM pg_roles WHERE rolname = 'tt_provisioner'"));
    }
}
