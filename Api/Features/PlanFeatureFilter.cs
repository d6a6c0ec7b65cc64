using Microsoft.FeatureManagement;
using TieredTenancy.Api.Tenants;

namespace TieredTenancy.Api.Features;

/// <summary>
/// A feature is on when the resolved tenant's plan lists it. The plan comes from the cached
/// registry entry, which every registry change drops, so a plan change shows at once.
/// </summary>
[FilterAlias(Alias)]
public sealed class PlanFeatureFilter(IHttpContextAccessor http) : IFeatureFilter
{
    public const string Alias = "Plan";

    public Task<bool> EvaluateAsync(FeatureFilterEvaluationContext context)
    {
        var tenant = http.HttpContext?.RequestServices.GetRequiredService<RequestTenant>();
        return Task.FromResult(tenant is { IsResolved: true } && tenant.Tenant.Features.Contains(context.FeatureName));
    }
}
