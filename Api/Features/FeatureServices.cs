using Microsoft.FeatureManagement;

namespace TieredTenancy.Api.Features;

public static class FeatureServices
{
    /// <summary>Plan features through Microsoft.FeatureManagement, fed by the resolved tenant's plan.</summary>
    public static IHostApplicationBuilder AddPlanFeatures(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddFeatureManagement().AddFeatureFilter<PlanFeatureFilter>();
        return builder;
    }
}
