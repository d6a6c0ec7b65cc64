using System.ComponentModel;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TieredTenancy.Provisioner.Audit;
using TieredTenancy.Provisioner.Faults;
using TieredTenancy.Provisioner.Operations;
using TieredTenancy.Provisioner.Tenants;
using TieredTenancy.Tenancy.Http;
using TieredTenancy.Tenancy.Plans;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Credentials;

public static class CredentialEndpoints
{
    public static RouteGroupBuilder MapCredentialEndpoints(this RouteGroupBuilder admin)
    {
        admin.MapPost("/tenants/{id}/rotate-credentials", RotateAsync).WithTags("Tenants")
            .WithName("RotateTenantCredentials")
            .WithSummary("Give a database-tier tenant's login a new password, without a failed request")
            .WithDescription("A new login is created beside the old one, the tenant switches to it on every replica, the old one's sessions "
                + "drain and it is dropped. 200 with the finished operation (kind rotate); 202 with its address when it takes longer than "
                + "the wait, or at once with `Prefer: respond-async`. 409 when the tenant is not active at database isolation or an operation runs on it.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return admin;
    }

    private static async Task<Results<Ok<OperationResponse>, Accepted<OperationResponse>, ProblemHttpResult>> RotateAsync(
        [Description(RouteIds.TenantDescription)] string id, CatalogDbContext catalog, TenantLookup lookup, TenantOperations operations,
        ControlPlaneAudit audit, OperationRunner runner, FaultInjection faults, IOptions<CredentialOptions> options, HttpRequest request,
        CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var tenantId, out var problem))
        {
            return problem;
        }
        var (tenant, refusal) = await lookup.FindIdleAsync(id, tenantId, cancellationToken);
        if (refusal is not null)
        {
            return Problems.For(refusal);
        }
        if (tenant!.Isolation != IsolationKind.Database)
        {
            return Problems.Conflict($"The tenant is at {tenant.Isolation.ToString().ToLowerInvariant()} isolation: it has no login of its own; "
                + "only database-tier tenants' credentials rotate.");
        }
        if (tenant.Status != TenantStatus.Active)
        {
            return Problems.Conflict($"The tenant is {tenant.Status.ToString().ToLowerInvariant()}; only an active tenant's credentials rotate.");
        }

        var operation = new Operation
        {
            Kind = OperationKind.Rotate,
            TenantId = tenant.Id,
            Phase = "pending",
            Actor = audit.Actor,
            Parameters = JsonSerializer.Serialize(new RotationParameters(tenant.Placement.Role!), OperationRun.Json),
            FaultPlan = faults.CurrentPlan,
        };
        catalog.Operations.Add(operation);
        audit.Record("tenant.credentials.rotate.start", tenant.Id, $"operation={operation.Id}");
        try
        {
            await catalog.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException exception) when (TenantOperations.IsActiveOperationConflict(exception))
        {
            catalog.ChangeTracker.Clear();
            return Problems.For(await operations.ConflictAsync(tenant.Id, cancellationToken) ?? Refusal.Conflict("The tenant changed meanwhile; look at it again and retry."));
        }
        runner.Wake();

        // RFC 7240: a client that prefers not to wait gets the operation's address at once.
        var wait = request.Headers["Prefer"].Any(prefer => prefer?.Contains("respond-async", StringComparison.OrdinalIgnoreCase) == true)
            ? TimeSpan.Zero
            : options.Value.RequestWait;
        var finished = await WaitForEndAsync(catalog, operation.Id, wait, cancellationToken);
        return finished is { Status: OperationStatus.Succeeded }
            ? TypedResults.Ok(OperationResponse.From(finished))
            : OperationResponse.Accepted(finished ?? operation);
    }

    /// <summary>The operation once it ended, or as it stands when <paramref name="wait"/> ran out.</summary>
    private static async Task<Operation?> WaitForEndAsync(CatalogDbContext catalog, Guid operationId, TimeSpan wait, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + wait;
        while (DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, cancellationToken);
            var operation = await catalog.Operations.AsNoTracking().SingleAsync(o => o.Id == operationId, cancellationToken);
            if (!operation.IsActive)
            {
                return operation;
            }
        }
        return await catalog.Operations.AsNoTracking().SingleOrDefaultAsync(o => o.Id == operationId, cancellationToken);
    }
}
