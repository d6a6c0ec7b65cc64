using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TieredTenancy.Tests.Stack;

namespace TieredTenancy.Tests.Security;

/// <summary>What each running service could do with the database logins it holds, read from its real processes.</summary>
[Collection(StackCollection.Name)]
public sealed class LeastPrivilegeTests(StackFixture stack)
{
    [Fact]
    public async Task No_service_process_holds_a_superuser_password_in_its_environment()
    {
        var superuserPasswords = await SuperuserPasswordsAsync();
        Assert.NotEmpty(superuserPasswords);
        var processes = (await ServiceProcesses.OfAsync(stack.App, "api", 2, "Api"))
            .Concat(await ServiceProcesses.OfAsync(stack.App, "provisioner", 1, "Provisioner"))
            .SelectMany(replica => new[] { replica.Launcher, replica.Service })
            .Distinct()
            .ToList();
        Assert.True(processes.Count >= 3, "expected the Api replicas' and the Provisioner's processes");
        foreach (var pid in processes)
        {
            var environment = ServiceProcesses.Environment(pid);
            Assert.True(environment.ContainsKey("ConnectionStrings__catalog"), $"process {pid} should have its catalog login");
            foreach (var (name, value) in environment)
            {
                Assert.False(superuserPasswords.Any(password => value.Contains(password, StringComparison.Ordinal)),
                    $"process {pid}'s {name} holds a server's superuser password");
                Assert.DoesNotContain("Username=postgres;", value + ";", StringComparison.OrdinalIgnoreCase);
            }
        }
    }

    [Fact]
    public async Task The_api_catalog_login_reads_what_resolution_needs_and_cannot_write_or_read_keys_clients_or_operations()
    {
        await using var catalog = await OpenAsync(await ApiEnvironmentAsync(), "catalog");
        Assert.Equal("tt_resolver", await catalog.ScalarAsync<string>("SELECT current_user"));
        Assert.False(await catalog.ScalarAsync<bool>("SELECT rolsuper OR rolbypassrls OR rolcreaterole OR rolcreatedb FROM pg_roles WHERE rolname = current_user"));
        // What it reads is the catalog's own: the same rows the owner sees (a policy or a view hiding rows would show here).
        using (var admin = await stack.App.AdminClientAsync())
        {
            await Provisioning.AdminApi.CreateTenantAsync(admin, "free");
        }
        await using var owner = await stack.App.OpenAsync("catalog");
        foreach (var query in new[] { "SELECT count(*) FROM tenants", "SELECT count(*) FROM plans" })
        {
            var seen = await catalog.ScalarAsync<long>(query);
            Assert.True(seen > 0, $"{query}: the resolver sees no rows");
            Assert.Equal(await owner.ScalarAsync<long>(query), seen);
        }
        // Which clients' tokens to refuse, and nothing else about them: the platform admin's client is among them, generation and all.
        const string Revocation = "SELECT count(client_id) + count(generation) + count(rotated_at) + count(revoked_at) FROM api_clients";
        Assert.Equal(await owner.ScalarAsync<long>(Revocation), await catalog.ScalarAsync<long>(Revocation));
        Assert.True(await catalog.ScalarAsync<int>("SELECT generation FROM api_clients WHERE client_id = 'platform-admin'") >= 1);

        foreach (var statement in new[]
        {
            "UPDATE tenants SET name = name",
            "DELETE FROM plans",
            "INSERT INTO data_protection_keys (friendly_name, xml) VALUES ('x', '<key/>')",
            "SELECT count(*) FROM signing_keys",
            "SELECT count(*) FROM operations",
            "SELECT count(*) FROM audit_events",
            "SELECT count(*) FROM \"OpenIddictApplications\"",
            "SELECT name, role, tenant_id FROM api_clients",
            "SELECT * FROM api_clients",
            "UPDATE api_clients SET revoked_at = NULL",
            "CREATE TABLE intruder (id int)",
        })
        {
            var refused = await Assert.ThrowsAsync<PostgresException>(() => catalog.ExecuteAsync(statement));
            Assert.True(refused.SqlState == PostgresErrorCodes.InsufficientPrivilege, $"{statement}: {refused.SqlState} {refused.MessageText}");
        }
    }

    [Fact]
    public async Task The_api_tenant_data_login_owns_nothing_and_cannot_bypass_row_level_security_or_reach_the_catalog()
    {
        var environment = await ApiEnvironmentAsync();
        await using var tenants = await OpenAsync(environment, "tenants");
        Assert.Equal("tt_app", await tenants.ScalarAsync<string>("SELECT current_user"));
        Assert.False(await tenants.ScalarAsync<bool>(
            "SELECT rolsuper OR rolbypassrls OR rolinherit OR rolcreaterole OR rolcreatedb FROM pg_roles WHERE rolname = current_user"));
        Assert.Equal(0L, await tenants.ScalarAsync<long>("SELECT count(*) FROM pg_class WHERE relowner = current_user::regrole"));

        var catalogAsApp = new NpgsqlConnectionStringBuilder(environment["ConnectionStrings__tenants"]) { Database = "catalog", Pooling = false };
        await using var refused = new NpgsqlConnection(catalogAsApp.ConnectionString);
        var error = await Assert.ThrowsAsync<PostgresException>(() => refused.OpenAsync());
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
    }

    [Fact]
    public async Task The_provisioner_acts_as_its_own_role_that_is_not_a_superuser_on_every_server()
    {
        var environment = ServiceProcesses.Environment((await ServiceProcesses.OfAsync(stack.App, "provisioner", 1, "Provisioner")).Single().Service);
        // Every server of the stack: the main one's two databases and each dedicated server the app model holds.
        var servers = TestStack.ServiceResourceNames(stack.App).Where(name => name.StartsWith("postgres-dedicated", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(servers);
        string[] logins = ["catalog", "tenants", .. servers];
        Assert.All(logins, name => Assert.True(environment.ContainsKey($"ConnectionStrings__{name}"), $"the Provisioner has no login for {name}"));
        foreach (var name in logins)
        {
            await using var connection = await OpenAsync(environment, name);
            Assert.Equal("tt_provisioner", await connection.ScalarAsync<string>("SELECT current_user"));
            Assert.False(await connection.ScalarAsync<bool>("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"), $"{name}: tt_provisioner must not be a superuser");
            var refused = await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync("ALTER SYSTEM SET work_mem = '64MB'"));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
        }
    }

    private async Task<IReadOnlyDictionary<string, string>> ApiEnvironmentAsync() =>
        ServiceProcesses.Environment((await ServiceProcesses.OfAsync(stack.App, "api", 2, "Api")).First().Service);

    private static async Task<NpgsqlConnection> OpenAsync(IReadOnlyDictionary<string, string> environment, string name)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(environment[$"ConnectionStrings__{name}"]) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>The PostgreSQL servers' superuser passwords (the AppHost's <c>&lt;server&gt;-password</c> parameters).</summary>
    private async Task<IReadOnlyList<string>> SuperuserPasswordsAsync()
    {
        var parameters = stack.App.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<ParameterResource>()
            .Where(parameter => parameter.Name.StartsWith("postgres", StringComparison.Ordinal) && parameter.Name.EndsWith("-password", StringComparison.Ordinal));
        var passwords = new List<string>();
        foreach (var parameter in parameters)
        {
            passwords.Add((await parameter.GetValueAsync(CancellationToken.None))!);
        }
        return passwords;
    }
}
