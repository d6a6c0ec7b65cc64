using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using TieredTenancy.Api.Isolation;
using TieredTenancy.Api.Tasks;
using TieredTenancy.Api.Tenants;
using TieredTenancy.Tenancy.Data;
using TieredTenancy.Tenancy.Hosting;
using TieredTenancy.Tenancy.Http;
using TieredTenancy.Tenancy.Plans;
using TieredTenancy.Tenancy.Storage;

namespace TieredTenancy.Api.Baseline;

/// <summary>
/// The benchmark's baseline: the same task query, and the same new task with its audit entry, on the
/// same data in the same process, without tenancy (no token, no resolution, no binding prefix, no
/// RLS: the server's own login reaches the shared database). Mapped only when
/// <c>Bench:PlainEndpoints</c> is on, which only the benchmark sets.
/// </summary>
public static class BaselineEndpoints
{
    /// <summary>Who the plain baseline's audit entries name.</summary>
    private const string PlainActor = "bench-plain";

    public static IHostApplicationBuilder AddPlainBaseline(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<BaselineOptions>(BaselineOptions.SectionName);
        return builder;
    }

    public static WebApplication MapBaselineEndpoints(this WebApplication app)
    {
        if (!app.Services.GetRequiredService<IOptions<BaselineOptions>>().Value.PlainEndpoints)
        {
            return app;
        }
        var plain = new PlainConnections(app.Configuration.GetConnectionString(ServiceSettings.PlainBaselineConnection)!, app.Services.GetRequiredService<DedicatedDataSources>());
        app.MapGet("/plain/tenants/{tenantId:guid}/projects/{id:guid}/tasks",
            async (Guid tenantId, Guid id, TenantRegistryCache registry, CancellationToken cancellationToken) =>
            {
                var tenant = await registry.FindAsync(tenantId, cancellationToken);
                if (tenant is null)
                {
                    return Results.NotFound();
                }
                await using var data = plain.Open(tenant);
                var tasks = await TaskListing.PageAsync(data, id, new PageRequest(1, PageRequest.DefaultPageSize), TaskFilter.None, cancellationToken,
                    ignoreTenantFilter: true, tenantId);
                return tasks is null ? Results.NotFound() : Results.Ok(tasks);
            }).ExcludeFromDescription();
        app.MapPost("/plain/tenants/{tenantId:guid}/projects/{id:guid}/tasks",
            async (Guid tenantId, Guid id, ValidatedBody<TaskRequest> body, TenantRegistryCache registry, CancellationToken cancellationToken) =>
            {
                var tenant = await registry.FindAsync(tenantId, cancellationToken);
                if (tenant is null)
                {
                    return Results.NotFound();
                }
                await using var data = plain.Open(tenant);
                var task = await TaskCreation.CreateAsync(data, tenantId, PlainActor, id, body.Value, cancellationToken, ignoreTenantFilter: true);
                return task is null ? Results.NotFound() : Results.Created($"/tasks/{task.Id}", TaskResponse.From(task, tenant.Shape));
            }).ExcludeFromDescription();
        return app;
    }

    private sealed class PlainConnections(string sharedAdmin, DedicatedDataSources dedicated)
    {
        // One pool per search_path: schema tenants are reached by the admin login with their schema first.
        private readonly ConcurrentDictionary<string, NpgsqlDataSource> _shared = new();

        public TenantDataContext Open(ResolvedTenant tenant)
        {
            var dataSource = tenant.Isolation == IsolationKind.Database
                ? dedicated.For(tenant)
                : _shared.GetOrAdd(tenant.Placement.Schema, schema =>
                    NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(sharedAdmin) { SearchPath = schema, MaxAutoPrepare = TenantStorageOptions.MaxAutoPrepare }.ConnectionString));
            var context = new TenantDataContext(TenantDataOptions.Unbound);
            context.Database.SetDbConnection(dataSource.CreateConnection(), contextOwnsConnection: true);
            return context;
        }
    }
}
