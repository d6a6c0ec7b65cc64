using System.Net;
using Aspire.Hosting.Testing;
using Npgsql;
using TieredTenancy.Tests.Stack;

namespace TieredTenancy.Tests.Provisioning;

/// <summary>After a create through the admin API, PostgreSQL itself holds what each isolation promises.</summary>
[Collection(StackCollection.Name)]
public sealed class ProvisionedStorageTests(StackFixture stack)
{
    private static readonly string[] TenantTables = ["projects", "tasks", "comments", "audit_entries"];

    [Theory]
    [InlineData("free", "row")]
    [InlineData("pro", "row")]
    [InlineData("business", "schema")]
    [InlineData("enterprise", "database")]
    public async Task Each_plan_provisions_at_its_isolation_with_registry_rows_and_an_audit_event(string plan, string isolation)
    {
        using var admin = await stack.App.AdminClientAsync();
        var tenant = await admin.CreateTenantAsync(plan);
        var id = Guid.Parse(tenant.GetProperty("id").GetString()!);
        Assert.Equal(isolation, tenant.GetProperty("isolation").GetString());
        Assert.Equal("active", tenant.GetProperty("status").GetString());
        Assert.Equal(1, tenant.GetProperty("placement").GetProperty("epoch").GetInt64());
        Assert.StartsWith("2", tenant.GetProperty("migrationVersion").GetString());
        Assert.Equal(7, id.Version);
        Assert.DoesNotContain("password", tenant.ToString(), StringComparison.OrdinalIgnoreCase);

        using var fetched = await admin.GetAsync($"/admin/tenants/{tenant.GetProperty("slug").GetString()}");
        Assert.Equal(HttpStatusCode.OK, fetched.StatusCode);
        Assert.Equal(id.ToString(), (await fetched.JsonAsync()).GetProperty("id").GetString());

        await using var catalog = await stack.App.OpenAsync("catalog");
        Assert.Equal("Active", await catalog.ScalarAsync<string>("SELECT status FROM tenants WHERE id = $1", id));
        Assert.Equal("platform-admin", await catalog.ScalarAsync<string>(
            "SELECT actor FROM audit_events WHERE tenant_id = $1 AND action = 'tenant.create'", id));
        var ownTargets = await catalog.ScalarAsync<long>("SELECT count(*) FROM storage_targets WHERE tenant_id = $1", id);
        Assert.Equal(isolation == "row" ? 0 : 1, ownTargets);
    }

    [Fact]
    public async Task Row_tier_tables_force_RLS_and_the_app_role_sees_and_changes_only_the_tenant_it_sets_in_every_table()
    {
        using var admin = await stack.App.AdminClientAsync();
        var a = Guid.Parse((await admin.CreateTenantAsync("free")).GetProperty("id").GetString()!);
        var b = Guid.Parse((await admin.CreateTenantAsync("pro")).GetProperty("id").GetString()!);

        await using var owner = await stack.App.OpenAsync("tenants");
        // Every table of the shared database with a tenant column (the fence is the platform's, not a tenant's).
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand("""
            SELECT table_name FROM information_schema.columns
            WHERE table_schema = 'public' AND column_name = 'tenant_id' AND table_name <> 'tt_placement_fences' ORDER BY 1
            """, owner))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }
        Assert.Superset(TenantTables.ToHashSet(), tables.ToHashSet());
        foreach (var table in tables)
        {
            Assert.True(await owner.ScalarAsync<bool>("SELECT relrowsecurity AND relforcerowsecurity FROM pg_class WHERE oid = $1::regclass", $"public.{table}"),
                $"{table} must have row-level security enabled and forced");
            Assert.False(await owner.ScalarAsync<bool>("SELECT pg_get_userbyid(relowner) = 'tt_app' FROM pg_class WHERE oid = $1::regclass", $"public.{table}"));
        }
        Assert.False(await owner.ScalarAsync<bool>("SELECT rolbypassrls OR rolsuper OR rolinherit FROM pg_roles WHERE rolname = 'tt_app'"));

        // A row of each tenant in every table, written by the superuser (who bypasses RLS).
        foreach (var tenant in new[] { a, b })
        {
            var project = Guid.CreateVersion7();
            var task = Guid.CreateVersion7();
            await owner.ExecuteAsync("INSERT INTO projects (tenant_id, id, name, created_at, updated_at) VALUES ($1, $2, 'a project', now(), now())", tenant, project);
            await owner.ExecuteAsync("INSERT INTO tasks (tenant_id, id, project_id, title, status, created_at, updated_at) VALUES ($1, $2, $3, 'a task', 'Todo', now(), now())", tenant, task, project);
            await owner.ExecuteAsync("INSERT INTO comments (tenant_id, id, task_id, author, body, created_at) VALUES ($1, $2, $3, 'sam', 'a comment', now())", tenant, Guid.CreateVersion7(), task);
            await owner.ExecuteAsync("INSERT INTO audit_entries (tenant_id, id, at, actor, action) VALUES ($1, $2, now(), 'test', 'test.write')", tenant, Guid.CreateVersion7());
        }

        await using var app = await OpenAsAppRoleAsync();
        foreach (var table in tables)
        {
            // No tenant set: nothing, not everything.
            Assert.Equal(0L, await app.ScalarAsync<long>($"SELECT count(*) FROM public.\"{table}\""));
        }
        await using (var transaction = await app.BeginTransactionAsync())
        {
            await app.ExecuteAsync("SELECT set_config('app.tenant_id', $1, true)", a.ToString());
            foreach (var table in tables)
            {
                // A raw query, no EF filter: only the tenant set is seen, and another's rows can be neither changed nor removed.
                Assert.Equal(1L, await app.ScalarAsync<long>($"SELECT count(*) FROM public.\"{table}\""));
                Assert.Equal(0L, await app.ScalarAsync<long>($"SELECT count(*) FROM public.\"{table}\" WHERE tenant_id = $1", b));
                Assert.Equal(0, await app.ExecuteAsync($"UPDATE public.\"{table}\" SET id = id WHERE tenant_id = $1", b));
                Assert.Equal(0, await app.ExecuteAsync($"DELETE FROM public.\"{table}\" WHERE tenant_id = $1", b));
            }
            await app.ExecuteAsync("SAVEPOINT smuggle");
            // Writing a row of another tenant is refused by the policy's WITH CHECK.
            var refused = await Assert.ThrowsAsync<PostgresException>(() =>
                app.ExecuteAsync("INSERT INTO audit_entries (tenant_id, id, at, actor, action) VALUES ($1, $2, now(), 'smuggler', 'test.write')", b, Guid.CreateVersion7()));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
            await app.ExecuteAsync("ROLLBACK TO SAVEPOINT smuggle");
            var moved = await Assert.ThrowsAsync<PostgresException>(() =>
                app.ExecuteAsync("UPDATE projects SET tenant_id = $1 WHERE tenant_id = $2", b, a));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, moved.SqlState);
        }
        // The setting was local to the transaction: nothing leaks to the next use of the connection.
        Assert.Equal(0L, await app.ScalarAsync<long>("SELECT count(*) FROM projects"));
        foreach (var table in tables)
        {
            Assert.Equal(1L, await owner.ScalarAsync<long>($"SELECT count(*) FROM public.\"{table}\" WHERE tenant_id = $1", b));
        }
    }

    [Fact]
    public async Task A_schema_tenant_role_reaches_its_own_schema_only()
    {
        using var admin = await stack.App.AdminClientAsync();
        var a = (await admin.CreateTenantAsync("business")).GetProperty("placement").GetProperty("schema").GetString()!;
        var b = (await admin.CreateTenantAsync("business")).GetProperty("placement").GetProperty("schema").GetString()!;

        await using var owner = await stack.App.OpenAsync("tenants");
        Assert.Equal("tt_owner", await owner.ScalarAsync<string>("SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = $1", a));
        Assert.False(await owner.ScalarAsync<bool>("SELECT rolcanlogin FROM pg_roles WHERE rolname = $1", a));
        foreach (var table in TenantTables)
        {
            Assert.True(await owner.ScalarAsync<bool>("SELECT has_table_privilege($1, $2, 'SELECT, INSERT, UPDATE, DELETE')", a, $"{a}.{table}"));
            Assert.False(await owner.ScalarAsync<bool>("SELECT has_table_privilege($1, $2, 'SELECT')", a, $"{b}.{table}"));
            Assert.False(await owner.ScalarAsync<bool>("SELECT has_table_privilege($1, $2, 'SELECT')", a, $"public.{table}"));
        }
        // The app role holds no right of its own on tenant schemas (NOINHERIT): only SET ROLE opens one.
        Assert.False(await owner.ScalarAsync<bool>("SELECT has_schema_privilege('tt_app', $1, 'USAGE')", a));

        await using var app = await OpenAsAppRoleAsync();
        await app.ExecuteAsync($"SET ROLE \"{a}\"; SET search_path TO \"{a}\"");
        Assert.Equal(0L, await app.ScalarAsync<long>("SELECT count(*) FROM projects"));
        var refused = await Assert.ThrowsAsync<PostgresException>(() => app.ScalarAsync<long>($"SELECT count(*) FROM \"{b}\".projects"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
        var refusedShared = await Assert.ThrowsAsync<PostgresException>(() => app.ScalarAsync<long>("SELECT count(*) FROM public.projects"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refusedShared.SqlState);
        var noTableRights = await Assert.ThrowsAsync<PostgresException>(() => app.ExecuteAsync("CREATE TABLE sneaky (id int)"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, noTableRights.SqlState);
    }

    [Fact]
    public async Task A_database_tenant_credentials_open_its_own_database_only()
    {
        using var admin = await stack.App.AdminClientAsync();
        var a = await admin.CreateTenantAsync("enterprise");
        var b = await admin.CreateTenantAsync("enterprise");
        var aId = Guid.Parse(a.GetProperty("id").GetString()!);
        var aDatabase = a.GetProperty("placement").GetProperty("database").GetString()!;
        var bDatabase = b.GetProperty("placement").GetProperty("database").GetString()!;
        Assert.Equal("postgres-dedicated", a.GetProperty("placement").GetProperty("server").GetString());

        await using var server = await stack.App.OpenAsync("postgres-dedicated");
        Assert.Equal("tt_owner", await server.ScalarAsync<string>("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $1", aDatabase));
        Assert.True(await server.ScalarAsync<bool>("SELECT rolcanlogin AND NOT rolsuper AND NOT rolcreatedb FROM pg_roles WHERE rolname = $1", aDatabase));

        // The credentials are stored encrypted in the registry; the Data Protection keys are in the catalog.
        var credentials = await CatalogSecrets.TenantCredentialsAsync(stack.App, aId);
        Assert.Equal(aDatabase, credentials.Database);
        var serverAddress = new NpgsqlConnectionStringBuilder(await stack.App.GetConnectionStringAsync("postgres-dedicated"));

        await using (var own = new NpgsqlConnection(CatalogSecrets.LoginTo(serverAddress, credentials, aDatabase)))
        {
            await own.OpenAsync();
            Assert.Equal(0L, await own.ScalarAsync<long>("SELECT count(*) FROM projects"));
            await own.ExecuteAsync("INSERT INTO projects (tenant_id, id, name, created_at, updated_at) VALUES ($1, $2, 'mine', now(), now())", aId, Guid.CreateVersion7());
            var noDdl = await Assert.ThrowsAsync<PostgresException>(() => own.ExecuteAsync("CREATE TABLE sneaky (id int)"));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, noDdl.SqlState);
        }
        foreach (var other in new[] { bDatabase, "tt_template", "postgres" })
        {
            await using var foreign = new NpgsqlConnection(CatalogSecrets.LoginTo(serverAddress, credentials, other));
            var refused = await Assert.ThrowsAsync<PostgresException>(() => foreign.OpenAsync());
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
        }
        // Not even on the shared server.
        var sharedAddress = new NpgsqlConnectionStringBuilder(await stack.App.GetConnectionStringAsync("tenants"));
        await using var shared = new NpgsqlConnection(CatalogSecrets.LoginTo(sharedAddress, credentials, "tenants"));
        await Assert.ThrowsAsync<PostgresException>(() => shared.OpenAsync());
    }

    private async Task<NpgsqlConnection> OpenAsAppRoleAsync()
    {
        var connection = new NpgsqlConnection((await stack.App.AppRoleConnectionAsync()).ConnectionString);
        await connection.OpenAsync();
        return connection;
    }
}
