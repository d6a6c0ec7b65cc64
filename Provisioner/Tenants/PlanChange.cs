using TieredTenancy.Provisioner.Audit;
using TieredTenancy.Provisioner.Plans;
using TieredTenancy.Tenancy.Http;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Tenants;

/// <summary>
/// <c>PUT /admin/tenants/{id}/plan</c>. A plan with the same isolation changes at once (features
/// and limits follow on every replica through the broadcast). A change of isolation needs a tier
/// move, which this deployment does not offer yet: it answers 409 and changes nothing.
/// </summary>
public sealed class PlanChange(CatalogDbContext catalog, PlanCatalog plans, TenantLookup lookup, AuditLog audit, RegistryBroadcast broadcast)
{
    public async Task<IResult> ApplyAsync(string id, HttpRequest request, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var tenantId, out var problem))
        {
            return problem!;
        }
        (var body, problem) = await JsonBody.ReadAsync<ChangePlanRequest>(request);
        if (problem is not null)
        {
            return problem;
        }
        var plan = body!.Plan is null ? null : await plans.FindAsync(body.Plan, cancellationToken);
        if (plan is null)
        {
            return Problems.Validation(new Dictionary<string, string[]> { ["plan"] = ["plan must name an existing plan."] });
        }
        var tenant = await lookup.FindAsync(tenantId, cancellationToken);
        if (tenant is null || tenant.Status == TenantStatus.Deleted)
        {
            return Problems.NotFound($"There is no tenant '{id}'.");
        }
        if (plan.Isolation != tenant.Isolation)
        {
            return Problems.Conflict(
                $"The {plan.Name} plan uses {plan.Isolation.ToString().ToLowerInvariant()} isolation and the tenant is at {tenant.Isolation.ToString().ToLowerInvariant()}; moving a tenant between tiers is not available yet.");
        }
        if (tenant.Plan != plan.Name)
        {
            audit.Record("tenant.plan", tenant.Id, $"from={tenant.Plan} to={plan.Name}");
            tenant.Plan = plan.Name;
            tenant.UpdatedAt = DateTimeOffset.UtcNow;
            await catalog.SaveChangesAsync(cancellationToken);
            await broadcast.TenantChangedAsync(tenant.Id);
        }
        return Results.Ok(await lookup.DescribeAsync(tenant, cancellationToken));
    }
}

public sealed record ChangePlanRequest(string? Plan);
