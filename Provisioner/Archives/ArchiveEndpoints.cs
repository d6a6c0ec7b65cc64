using System.ComponentModel;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TieredTenancy.Provisioner.Audit;
using TieredTenancy.Provisioner.Faults;
using TieredTenancy.Provisioner.Operations;
using TieredTenancy.Provisioner.Plans;
using TieredTenancy.Provisioner.Provisioning;
using TieredTenancy.Provisioner.Tenants;
using TieredTenancy.Tenancy.Http;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Archives;

public static class ArchiveEndpoints
{
    public static RouteGroupBuilder MapArchiveEndpoints(this RouteGroupBuilder admin)
    {
        var tenants = admin.MapGroup("/tenants").WithTags("Tenants");
        tenants.MapGet("/{id}/export", ExportAsync)
            .WithName("ExportTenant").WithSummary("The tenant's data as a zip archive: a CSV file per table and a manifest with counts and SHA-256")
            .Produces(StatusCodes.Status200OK, typeof(Stream), "application/zip")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        tenants.MapPost("/import", ImportAsync)
            .WithName("ImportTenant").WithSummary("A new tenant loaded from an archive (multipart: archive, slug, name, plan)")
            .WithDescription("Every file of the archive is checked against its manifest before anything is made; a tampered or truncated archive answers 400.")
            .DisableAntiforgery()
            .WithMetadata(new RequestSizeLimitAttribute(long.MaxValue))
            .WithFormOptions(multipartBodyLengthLimit: long.MaxValue)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return admin;
    }

    /// <summary>Streams the archive as it is written: memory does not grow with the tenant's size.</summary>
    private static async Task<Results<EmptyHttpResult, ProblemHttpResult>> ExportAsync([Description(RouteIds.TenantDescription)] string id,
        TenantLookup lookup, TenantOperations operations, TenantExport export, HttpResponse response, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var tenantId, out var problem))
        {
            return problem;
        }
        var tenant = await lookup.FindAsync(tenantId, cancellationToken);
        if (tenant is null || tenant.Status == TenantStatus.Deleted)
        {
            return Problems.For(Refusal.NoTenant(id));
        }
        // A move or an offboarding changes where the data is while it would be read.
        if (await operations.ConflictAsync(tenant.Id, cancellationToken) is { } conflict)
        {
            return Problems.For(conflict);
        }
        response.ContentType = "application/zip";
        response.Headers.ContentDisposition = $"attachment; filename=\"{tenant.Slug}-{DateTimeOffset.UtcNow:yyyyMMddTHHmmssZ}.zip\"";
        await export.WriteAsync(tenant, response.Body, cancellationToken);
        return TypedResults.Empty;
    }

    private static async Task<Results<Accepted<OperationResponse>, ValidationProblem, ProblemHttpResult>> ImportAsync([FromForm] ImportForm form,
        CatalogDbContext catalog, PlanCatalog plans, ArchiveStore store, TenantArchiveCheck check, OperationRunner runner, ControlPlaneAudit audit,
        FaultInjection faults, IOptions<ArchiveOptions> options, CancellationToken cancellationToken)
    {
        var errors = form.Validate();
        var plan = form.Plan is null ? null : await plans.FindAsync(form.Plan, cancellationToken);
        if (plan is null && !errors.ContainsKey("plan"))
        {
            errors["plan"] = [$"plan must be one of: {string.Join(", ", (await plans.AllAsync(cancellationToken)).Keys.Order())}."];
        }
        if (form.Archive is { Length: var length } && length > options.Value.MaxImportBytes)
        {
            errors["archive"] = [$"archive must be at most {options.Value.MaxImportBytes} bytes."];
        }
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }
        if (await catalog.Tenants.AnyAsync(t => t.Slug == form.Slug, cancellationToken))
        {
            return Problems.Conflict($"The slug '{form.Slug}' is already taken by another tenant.");
        }

        var operationId = Guid.CreateVersion7();
        var path = store.ImportPath(operationId);
        await ArchiveStore.WriteAsync(path, async file =>
        {
            await using var upload = form.Archive!.OpenReadStream();
            await upload.CopyToAsync(file, cancellationToken);
        }, cancellationToken);
        var (manifest, problems) = await check.CheckAsync(path, cancellationToken);
        if (manifest is null)
        {
            File.Delete(path);
            return Problems.Validation(new Dictionary<string, string[]> { ["archive"] = [.. problems] });
        }

        var parameters = new ImportParameters(Guid.CreateVersion7(), form.Slug!, form.Name!.Trim(), plan!.Name, path, manifest.Tenant.Id);
        var operation = new Operation
        {
            Id = operationId,
            Kind = OperationKind.Import,
            TenantId = parameters.TenantId,
            Phase = "pending",
            Actor = audit.Actor,
            Parameters = JsonSerializer.Serialize(parameters, OperationRun.Json),
            FaultPlan = faults.CurrentPlan,
        };
        catalog.Operations.Add(operation);
        audit.Record("tenant.import.start", parameters.TenantId,
            $"operation={operation.Id} slug={parameters.Slug} plan={parameters.Plan} from={manifest.Tenant.Id} rows={manifest.Files.Sum(file => file.Rows)}");
        await catalog.SaveChangesAsync(cancellationToken);
        runner.Wake();
        return TypedResults.Accepted(OperationResponse.Location(operation.Id), OperationResponse.From(operation));
    }
}

/// <summary>The import's form: the archive file, and the new tenant's slug, name and plan.</summary>
public sealed class ImportForm
{
    [Description("A tenant archive, as GET /admin/tenants/{id}/export gives it.")]
    public IFormFile? Archive { get; init; }

    [Description("The new tenant's slug.")]
    public string? Slug { get; init; }

    [Description("The new tenant's name.")]
    public string? Name { get; init; }

    [Description("The plan the new tenant is made at (its isolation decides where the data goes).")]
    public string? Plan { get; init; }

    /// <summary>The new tenant's fields are checked as a tenant creation checks them, and the archive is required.</summary>
    public Dictionary<string, string[]> Validate()
    {
        var errors = new CreateTenantRequest(Slug, Name, Plan).Validate();
        if (Archive is null || Archive.Length == 0)
        {
            errors["archive"] = ["archive is required: the zip file of a tenant export."];
        }
        return errors;
    }
}
