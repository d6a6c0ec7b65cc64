using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using TieredTenancy.Api.Isolation;
using TieredTenancy.Api.Tasks;
using TieredTenancy.Api.Tenants;
using TieredTenancy.Tenancy.Data;
using TieredTenancy.Tenancy.Http;
using TieredTenancy.Tenancy.Plans;

namespace TieredTenancy.Api.Baseline;

/// <summary>
/// The benchmark's baseline: the same task query on the same data in the same process, without
/// tenancy (no token, no resolution, no binding prefix, no RLS: the server's own login reads the
/// shared database). Mapped only when <c>Bench:PlainEndpoints</c> is on, which only the benchmark sets.
/// </summary>
public static class BaselineEndpoints
{
    public static WebApplication MapBaselineEndpoints(this WebApplication app)
    {
        if (!app.Configuration.GetValue<bool>("Bench:PlainEndpoints"))
        {
            return app;
        }
        var plain = new PlainConnections(app.Configuration.GetConnectionString("tenants")!, app.Services.GetRequiredService<DedicatedDataSources>());
        app.MapGet("/plain/tenants/{tenantId:guid}/projects/{id:guid}/tasks",
            async (Guid tenantId, Guid id, TenantRegistryCache registry, CancellationToken cancellationToken) =>
            {
                var tenant = await registry.FindAsync(tenantId, cancellationToken);
                if (tenant is null)
                {
                    return Results.NotFound();
                }
                await using var data = plain.Open(tenant);
                var tasks = await TaskListing.PageAsync(data, id, new PageRequest(1, PageRequest.DefaultPageSize), cancellationToken,
                    ignoreTenantFilter: true, tenantId);
                return tasks is null ? Results.NotFound() : Results.Ok(tasks);
            }).ExcludeFromDescription();
        return app;
    }

    private sealed class PlainConnections(string sharedAdmin, DedicatedDataSources dedicated)
    {
        private static readonly DbContextOptions<TenantDataContext> Options = new DbContextOptionsBuilder<TenantDataContext>()
            .UseNpgsql().UseSnakeCaseNamingConvention().Options;

        // One pool per search_path: schema tenants are reached by the admin login with their schema first.
        private readonly ConcurrentDictionary<string, NpgsqlDataSource> _shared = new();

        public TenantDataContext Open(ResolvedTenant tenant)
        {
            var dataSource = tenant.Isolation == IsolationKind.Database
                ? dedicated.For(tenant)
                : _shared.GetOrAdd(tenant.Placement.Schema, schema =>
                    NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(sharedAdmin) { SearchPath = schema, MaxAutoPrepare = IsolationOptions.MaxAutoPrepare }.ConnectionString));
            var context = new TenantDataContext(Options);
            context.Database.SetDbConnection(dataSource.CreateConnection(), contextOwnsConnection: true);
            return context;
        }
    }
}
