using Aspire.Hosting.Testing;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using TieredTenancy.Tenancy.Data;
using TieredTenancy.Tenancy.Isolation;
using TieredTenancy.Tenancy.Storage;
using TieredTenancy.Tests.Provisioning;
using TieredTenancy.Tests.Stack;

namespace TieredTenancy.Tests.TenantPlane;

/// <summary>
/// The binding that carries the tenant to PostgreSQL, against the real shared database as the
/// Api's role: it fails closed, and a tenant setting never outlives its use of a pooled connection.
/// </summary>
[Collection(StackCollection.Name)]
public sealed class TenantBindingTests(StackFixture stack) : IAsyncLifetime
{
    private NpgsqlDataSource _asApp = null!;

    public async Task InitializeAsync()
    {
        var builder = await stack.App.AppRoleConnectionAsync();
        builder.Pooling = true;
        builder.MaxPoolSize = 1;
        // As the Api's pools: no session reset when a connection goes back.
        builder.NoResetOnClose = TenantStorageOptions.NoResetOnClose;
        _asApp = NpgsqlDataSource.Create(builder.ConnectionString);
    }

    public async Task DisposeAsync() => await _asApp.DisposeAsync();

    [Fact]
    public async Task A_bound_context_sees_its_tenant_and_an_unbound_one_runs_nothing()
    {
        using var admin = await stack.App.AdminClientAsync();
        var tenant = Guid.Parse((await admin.CreateTenantAsync("free")).GetProperty("id").GetString()!);
        await using (var owner = await stack.App.OpenAsync("tenants"))
        {
            await owner.ExecuteAsync("INSERT INTO projects (tenant_id, id, name, created_at, updated_at) VALUES ($1, $2, 'bound', now(), now())", tenant, Guid.CreateVersion7());
        }

        await using (var bound = Context())
        {
            bound.BindTo(new TenantBinding(tenant, TenantBinding.LoginRole, "public", "tenants", Epoch: 1, Writes: false));
            Assert.Equal(["bound"], await bound.Projects.Select(p => p.Name).ToListAsync());
        }
        await using (var unbound = Context())
        {
            await Assert.ThrowsAsync<TenantBindingException>(() => unbound.Projects.ToListAsync());
        }
    }

    [Fact]
    public async Task A_connection_in_another_database_than_the_binding_says_fails_closed()
    {
        await using var context = Context();
        context.BindTo(new TenantBinding(Guid.CreateVersion7(), TenantBinding.LoginRole, "public", "some_other_database", Epoch: 1, Writes: false));
        var refused = await Assert.ThrowsAsync<TenantBindingException>(() => context.Projects.ToListAsync());
        Assert.Contains("database=tenants", refused.Message);
    }

    [Fact]
    public async Task A_schema_binding_to_a_role_the_app_may_not_assume_is_refused_by_PostgreSQL()
    {
        await using var context = Context();
        context.BindTo(new TenantBinding(Guid.CreateVersion7(), "tt_owner", "public", "tenants", Epoch: 1, Writes: false));
        var refused = await Assert.ThrowsAsync<PostgresException>(() => context.Projects.ToListAsync());
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
    }

    [Fact]
    public async Task The_tenant_setting_does_not_survive_into_the_next_use_of_a_pooled_connection()
    {
        int backend;
        await using (var context = Context())
        {
            context.BindTo(new TenantBinding(Guid.CreateVersion7(), TenantBinding.LoginRole, "tt_elsewhere, public", "tenants", Epoch: 1, Writes: false));
            await context.Projects.ToListAsync();
            backend = await context.Database.SqlQuery<int>($"SELECT pg_backend_pid() AS \"Value\"").SingleAsync();
        }

        await using var next = await _asApp.OpenConnectionAsync();
        // Pool of one: the same server session, not reset when it went back to the pool; the binding's settings ended with its transaction.
        Assert.Equal(backend, await next.ScalarAsync<int>("SELECT pg_backend_pid()"));
        Assert.Equal("", await next.ScalarAsync<string>("SELECT coalesce(current_setting('app.tenant_id', true), '')") ?? "");
        Assert.Equal(0L, await next.ScalarAsync<long>("SELECT count(*) FROM projects"));
        Assert.Equal(await next.ScalarAsync<string>("SELECT session_user::text"), await next.ScalarAsync<string>("SELECT current_user::text"));
        Assert.DoesNotContain("tt_elsewhere", await next.ScalarAsync<string>("SELECT current_setting('search_path')"));
    }

    [Fact]
    public async Task A_placement_refuses_an_epoch_its_fence_retired_for_reads_and_writes_alike()
    {
        var tenant = Guid.CreateVersion7();
        await using (var owner = await stack.App.OpenAsync("tenants"))
        {
            await owner.ExecuteAsync("INSERT INTO public.tt_placement_fences (tenant_id, refused_through_epoch) VALUES ($1, 2)", tenant);
        }
        foreach (var writes in new[] { false, true })
        {
            await using var stale = Context();
            stale.BindTo(new TenantBinding(tenant, TenantBinding.LoginRole, "public", "tenants", Epoch: 2, Writes: writes));
            var refused = await Assert.ThrowsAsync<PostgresException>(() => stale.Projects.ToListAsync());
            Assert.Equal(PlacementFence.RetiredSqlState, refused.SqlState);
        }
        await using var current = Context();
        current.BindTo(new TenantBinding(tenant, TenantBinding.LoginRole, "public", "tenants", Epoch: 3, Writes: true));
        Assert.Empty(await current.Projects.ToListAsync());
    }

    [Fact]
    public async Task While_a_tenants_writes_are_frozen_its_writes_wait_on_the_lock_and_its_reads_do_not()
    {
        var tenant = Guid.CreateVersion7();
        await using var mover = await stack.App.OpenAsync("tenants");
        await mover.ExecuteAsync($"SELECT pg_advisory_lock({AdvisoryLocks.TenantWrites}, hashtext($1::text))", tenant);
        var builder = await stack.App.AppRoleConnectionAsync();
        builder.ApplicationName = $"freeze-test-{tenant:N}";
        await using var twoConnections = NpgsqlDataSource.Create(builder.ConnectionString);

        await using var writer = Context(twoConnections);
        writer.BindTo(new TenantBinding(tenant, TenantBinding.LoginRole, "public", "tenants", Epoch: 1, Writes: true));
        var write = writer.Projects.ToListAsync();
        await using (var reader = Context(twoConnections))
        {
            reader.BindTo(new TenantBinding(tenant, TenantBinding.LoginRole, "public", "tenants", Epoch: 1, Writes: false));
            // Bounded: a read blocked by the freeze fails here instead of hanging the run.
            Assert.Empty(await reader.Projects.ToListAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        }

        // PostgreSQL's own word that the write reached it and waits on the tenant's advisory lock, held by the mover.
        var moverPid = await mover.ScalarAsync<int>("SELECT pg_backend_pid()");
        await Eventually.TrueAsync(async () =>
        {
            await using var watch = await stack.App.OpenAsync("tenants");
            return await watch.ScalarAsync<bool>("""
                SELECT EXISTS (
                  SELECT FROM pg_stat_activity a
                  WHERE a.application_name = $1 AND a.wait_event_type = 'Lock' AND a.wait_event = 'advisory'
                    AND $2 = ANY (pg_blocking_pids(a.pid)))
                """, builder.ApplicationName, moverPid);
        }, TimeSpan.FromSeconds(30), "the write should be waiting on the tenant's advisory lock held by the mover");
        Assert.False(write.IsCompleted, "a write went ahead while the tenant's writes were frozen");

        await mover.ExecuteAsync($"SELECT pg_advisory_unlock({AdvisoryLocks.TenantWrites}, hashtext($1::text))", tenant);
        Assert.Empty(await write.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    private TenantDataContext Context(NpgsqlDataSource? dataSource = null)
    {
        // The settings the Api's tenant contexts use, binding interceptor included.
        var context = new TenantDataContext(TenantDataOptions.Bound);
        context.Database.SetDbConnection((dataSource ?? _asApp).CreateConnection(), contextOwnsConnection: true);
        return context;
    }
}
