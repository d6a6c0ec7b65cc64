using System.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using TieredTenancy.Api.Tenants;
using TieredTenancy.Tenancy.Archives;
using TieredTenancy.Tenancy.Data;

namespace TieredTenancy.Api.Export;

public static class TenantExportEndpoints
{
    public static RouteGroupBuilder MapTenantExportEndpoints(this RouteGroupBuilder tenantPlane)
    {
        tenantPlane.MapGet("/tenant/export", ExportAsync).WithTags("Tenant")
            .WithName("ExportOwnData")
            .WithSummary("The tenant's own data as a zip archive: a CSV file per table, a manifest with counts and SHA-256, and the platform's signature of the manifest (the tenant's admin clients)")
            .Produces(StatusCodes.Status200OK, typeof(Stream), "application/zip")
            .RequireTenantAdmin();
        return tenantPlane;
    }

    /// <summary>
    /// The same archive the control plane makes, read through the tenant's own binding: one snapshot
    /// (a REPEATABLE READ transaction whose first command binds the connection to the tenant and
    /// enters its placement), then each table streamed as it is read. Row-level security, the
    /// tenant's role or its own login keep it to the tenant's rows, as for every other request.
    /// </summary>
    private static async Task<EmptyHttpResult> ExportAsync(TenantDataContext data, RequestTenant tenant, TenantTables tables, TenantArchiveSignature signature, HttpResponse response,
        CancellationToken cancellationToken)
    {
        await using var snapshot = await data.Database.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        await data.Projects.AnyAsync(cancellationToken);
        var resolved = tenant.Tenant;
        response.ContentType = "application/zip";
        response.Headers.ContentDisposition = $"attachment; filename=\"{resolved.Slug}-{DateTimeOffset.UtcNow:yyyyMMddTHHmmssZ}.zip\"";
        await TenantArchiveWriter.WriteAsync(response.Body, (NpgsqlConnection)data.Database.GetDbConnection(), (NpgsqlTransaction)snapshot.GetDbTransaction(),
            data.Binding!.SearchPath,
            new ArchivedTenant(resolved.Id, resolved.Slug, resolved.Name, resolved.Plan, resolved.Isolation.ToString().ToLowerInvariant()),
            resolved.StorageVersion, tables.ParentsFirst, signature, cancellationToken);
        await snapshot.CommitAsync(cancellationToken);
        return TypedResults.Empty;
    }
}
