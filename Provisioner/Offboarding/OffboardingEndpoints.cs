using System.ComponentModel;
using System.Text.Json;
using System.Xml;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using TieredTenancy.Provisioner.Audit;
using TieredTenancy.Provisioner.Broadcast;
using TieredTenancy.Provisioner.Faults;
using TieredTenancy.Provisioner.Operations;
using TieredTenancy.Provisioner.Tenants;
using TieredTenancy.Tenancy.Http;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Offboarding;

public static class OffboardingEndpoints
{
    /// <summary>The longest grace period an offboarding may be asked to wait.</summary>
    private static readonly TimeSpan MaxGracePeriod = TimeSpan.FromDays(365);

    public static RouteGroupBuilder MapOffboardingEndpoints(this RouteGroupBuilder admin)
    {
        // The same path as GET /tenants/{idOrSlug} (OpenAPI wants one template per path); an offboarding takes the id only.
        admin.MapDelete("/tenants/{idOrSlug}", OffboardAsync).WithTags("Tenants")
            .WithName("OffboardTenant")
            .WithSummary("Offboards a tenant: suspend, revoke its clients, archive its data, delete it everywhere, verify, certify")
            .WithDescription("With ?after=P7D (an ISO 8601 duration) the tenant stays suspended for that long first; resuming it meanwhile cancels the offboarding.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return admin;
    }

    private static async Task<Results<Accepted<OperationResponse>, ValidationProblem, ProblemHttpResult>> OffboardAsync(
        [Description(RouteIds.TenantDescription)] string idOrSlug,
        [FromQuery(Name = "after"), Description("A grace period before the offboarding starts, as an ISO 8601 duration (e.g. P7D).")] string? after,
        CatalogDbContext catalog, TenantLookup lookup, TenantOperations operations, ControlPlaneAudit audit, RegistryBroadcast broadcast,
        OperationRunner runner, FaultInjection faults, CancellationToken cancellationToken)
    {
        var id = idOrSlug;
        if (!RouteIds.TryParse(id, out var tenantId, out var problem))
        {
            return problem;
        }
        TimeSpan? grace = null;
        if (!string.IsNullOrEmpty(after))
        {
            if (!TryParseDuration(after, out var duration) || duration < TimeSpan.Zero || duration > MaxGracePeriod)
            {
                return Problems.Validation(new Dictionary<string, string[]> { ["after"] = ["after must be an ISO 8601 duration from PT0S to P365D, e.g. P7D."] });
            }
            grace = duration;
        }
        var tenant = await lookup.FindAsync(tenantId, cancellationToken);
        if (tenant is null)
        {
            return Problems.For(Refusal.NoTenant(id));
        }
        if (await operations.ConflictAsync(tenant.Id, cancellationToken) is { } conflict)
        {
            return Problems.For(conflict);
        }
        if (tenant.Status is not (TenantStatus.Active or TenantStatus.Suspended))
        {
            return Problems.Conflict($"The tenant is {tenant.Status.ToString().ToLowerInvariant()}; only an active or suspended tenant can be offboarded.");
        }

        var now = DateTimeOffset.UtcNow;
        var operation = new Operation
        {
            Kind = OperationKind.Offboard,
            TenantId = tenant.Id,
            Phase = grace is null ? "pending" : "grace period",
            Actor = audit.Actor,
            Parameters = JsonSerializer.Serialize(new OffboardingParameters(now, grace), OperationRun.Json),
            NotBefore = grace is null ? null : now + grace,
            FaultPlan = faults.CurrentPlan,
        };
        catalog.Operations.Add(operation);
        // Refused at once on every replica: offboarding at once, suspended during a grace period.
        tenant.Status = grace is null ? TenantStatus.Offboarding : TenantStatus.Suspended;
        tenant.UpdatedAt = now;
        audit.Record("tenant.offboard.start", tenant.Id, $"operation={operation.Id}" + (grace is null ? "" : $" after={after}"));
        try
        {
            await catalog.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException exception) when (TenantOperations.IsActiveOperationConflict(exception) || exception is DbUpdateConcurrencyException)
        {
            catalog.ChangeTracker.Clear();
            return Problems.For(await operations.ConflictAsync(tenant.Id, cancellationToken) ?? Refusal.Conflict("The tenant changed meanwhile; look at it again and retry."));
        }
        await broadcast.TenantChangedAsync(tenant.Id);
        runner.Wake();
        return TypedResults.Accepted(OperationResponse.Location(operation.Id), OperationResponse.From(operation));
    }

    private static bool TryParseDuration(string text, out TimeSpan duration)
    {
        try
        {
            duration = XmlConvert.ToTimeSpan(text);
            return true;
        }
        catch (FormatException)
        {
            duration = default;
            return false;
        }
    }
}
