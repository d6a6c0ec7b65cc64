using System.ComponentModel;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using TieredTenancy.Provisioner.Audit;
using TieredTenancy.Provisioner.Faults;
using TieredTenancy.Provisioner.Operations;
using TieredTenancy.Provisioner.Storage;
using TieredTenancy.Tenancy.Http;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Migrations;

public static class MigrationEndpoints
{
    public static RouteGroupBuilder MapMigrationEndpoints(this RouteGroupBuilder admin)
    {
        var migrations = admin.MapGroup("/migrations").WithTags("Migrations");
        migrations.MapPost("/", StartAsync)
            .WithName("StartMigration").WithSummary("Migrate every tenant's storage to a version (the latest by default; an older one runs down steps)")
            .ProducesProblem(StatusCodes.Status409Conflict);
        migrations.MapGet("/", ListAsync)
            .WithName("ListMigrationTargets").WithSummary("The version and migration state of every storage target");
        return admin;
    }

    private static async Task<Results<Accepted<OperationResponse>, ValidationProblem, ProblemHttpResult>> StartAsync(ValidatedBody<StartMigrationRequest> body,
        StorageMigrations migrations, FleetMigrationStarter fleet, FaultInjection faults, ControlPlaneAudit audit, CancellationToken cancellationToken)
    {
        var request = body.Value;
        if (request.TargetVersion is { } version && !migrations.IsKnown(version))
        {
            return Problems.Validation(new Dictionary<string, string[]>
            {
                ["targetVersion"] = [$"targetVersion must name a migration of the tenant data model: {string.Join(", ", migrations.Steps.Select(step => step.Id))}."],
            });
        }
        var (started, running) = await fleet.StartAsync(request.TargetVersion, request.Canary, request.MaxParallel, request.MaxFailures,
            audit.Actor, cancellationToken, faults.CurrentPlan);
        return started is not null
            ? TypedResults.Accepted(OperationResponse.Location(started.Id), OperationResponse.From(started))
            : Problems.Conflict($"Migration {running?.Id} is running; one fleet migration runs at a time (GET {OperationResponse.Location(running?.Id ?? Guid.Empty)}).");
    }

    private static async Task<Results<Ok<FleetMigrationState>, ValidationProblem>> ListAsync([AsParameters] PageQuery query, CatalogDbContext catalog,
        StorageMigrations migrations, CancellationToken cancellationToken)
    {
        if (!query.TryRead(out var page, out var problem))
        {
            return problem;
        }
        // Each target with its latest planned migration (operation ids are time-ordered UUIDv7).
        var targets = catalog.StorageTargets.AsNoTracking().Select(target => new
        {
            Target = target,
            Last = catalog.TargetMigrations.Where(m => m.TargetId == target.Id).OrderByDescending(m => m.OperationId).FirstOrDefault(),
        });
        var byVersion = await catalog.StorageTargets.GroupBy(target => target.MigrationVersion)
            .Select(group => new { group.Key, Count = group.Count() }).ToDictionaryAsync(group => group.Key, group => group.Count, cancellationToken);
        var byState = (await targets.Select(entry => entry.Last == null ? (TargetMigrationState?)null : entry.Last.State).ToListAsync(cancellationToken))
            .GroupBy(state => StateName(state)).ToDictionary(group => group.Key, group => group.Count());
        var total = await catalog.StorageTargets.CountAsync(cancellationToken);
        var items = (await targets.OrderBy(entry => entry.Target.Kind).ThenBy(entry => entry.Target.Id).Skip(page.Skip).Take(page.PageSize)
                .ToListAsync(cancellationToken))
            .Select(entry => new MigrationTargetResponse(entry.Target.Id, KindName(entry.Target.Kind), entry.Target.Server, entry.Target.Database,
                entry.Target.Schema, entry.Target.TenantId, entry.Target.MigrationVersion, StateName(entry.Last?.State), entry.Last?.Attempts ?? 0,
                entry.Last?.Error, entry.Last?.OperationId, entry.Target.UpdatedAt))
            .ToList();
        return TypedResults.Ok(new FleetMigrationState(migrations.LatestVersion, migrations.Steps.Select(step => step.Id).ToList(),
            new MigrationSummary(byVersion, byState), new PagedList<MigrationTargetResponse>(items, page.Page, page.PageSize, total)));
    }

    private static string KindName(StorageTargetKind kind) => kind switch
    {
        StorageTargetKind.SharedTables => "sharedTables",
        StorageTargetKind.TenantSchema => "tenantSchema",
        StorageTargetKind.TenantDatabase => "tenantDatabase",
        _ => "template",
    };

    private static string StateName(TargetMigrationState? state) => state switch
    {
        null => "idle",
        TargetMigrationState.Pending => "pending",
        TargetMigrationState.Succeeded => "succeeded",
        _ => "failed",
    };
}

public sealed record StartMigrationRequest(
    [property: Description("The version to bring every target to; the latest when left out. An older one runs the migrations' down steps.")] string? TargetVersion,
    [property: Description("Targets migrated first, one by one; the operation stops if one fails (default 1).")] int? Canary,
    [property: Description("Workers per server (default 2).")] int? MaxParallel,
    [property: Description("Failed targets after which the operation stops starting new ones (default 5).")] int? MaxFailures) : IValidatedRequest
{
    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>();
        if (TargetVersion is { Length: 0 or > 150 })
        {
            errors["targetVersion"] = ["targetVersion must name a migration."];
        }
        if (Canary is < 0 or > 1000)
        {
            errors["canary"] = ["canary must be between 0 and 1000."];
        }
        if (MaxParallel is < 1 or > 64)
        {
            errors["maxParallel"] = ["maxParallel must be between 1 and 64."];
        }
        if (MaxFailures is < 1 or > 100_000)
        {
            errors["maxFailures"] = ["maxFailures must be between 1 and 100000."];
        }
        return errors;
    }
}

/// <summary><c>GET /admin/migrations</c>: the latest version, the fleet per version and per state, and a page of targets.</summary>
public sealed record FleetMigrationState(string LatestVersion, IReadOnlyList<string> Versions, MigrationSummary Summary, PagedList<MigrationTargetResponse> Targets);

/// <summary>Targets per version, and per state of their latest migration (<c>idle</c> when none planned them).</summary>
public sealed record MigrationSummary(IReadOnlyDictionary<string, int> ByVersion, IReadOnlyDictionary<string, int> ByState);

public sealed record MigrationTargetResponse(Guid Id, string Kind, string Server, string Database, string Schema, Guid? TenantId, string Version, string State,
    int Attempts, string? LastError, Guid? OperationId, DateTimeOffset UpdatedAt);
