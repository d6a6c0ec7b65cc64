using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.FeatureManagement;
using TieredTenancy.Tenancy.Plans;

namespace TieredTenancy.Api.Tenants;

public static class TenantInfoEndpoints
{
    public static RouteGroupBuilder MapTenantInfoEndpoints(this RouteGroupBuilder tenantPlane)
    {
        tenantPlane.MapGet("/tenant", GetAsync).WithTags("Tenant")
            .WithName("GetTenant").WithSummary("The caller's tenant: plan, isolation, status, enabled features and limits");
        return tenantPlane;
    }

    private static async Task<Ok<TenantInfoResponse>> GetAsync(RequestTenant requestTenant, IFeatureManager features)
    {
        var tenant = requestTenant.Tenant;
        var enabled = new List<string>();
        await foreach (var feature in features.GetFeatureNamesAsync())
        {
            if (await features.IsEnabledAsync(feature))
            {
                enabled.Add(feature);
            }
        }
        return TypedResults.Ok(new TenantInfoResponse(tenant.Id, tenant.Slug, tenant.Name, tenant.Plan, tenant.Isolation.ToString().ToLowerInvariant(),
            tenant.Status.ToString().ToLowerInvariant(), enabled, tenant.Limits));
    }
}

public sealed record TenantInfoResponse(Guid Id, string Slug, string Name, string Plan, string Isolation, string Status,
    IReadOnlyList<string> Features, PlanLimits Limits);
