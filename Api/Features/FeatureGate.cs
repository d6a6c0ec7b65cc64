using Microsoft.FeatureManagement;
using TieredTenancy.Tenancy.Http;

namespace TieredTenancy.Api.Features;

public static class FeatureGate
{
    /// <summary>The route answers 404 problem+json when the tenant's plan lacks <paramref name="feature"/>.</summary>
    public static TBuilder RequireFeature<TBuilder>(this TBuilder builder, string feature) where TBuilder : IEndpointConventionBuilder =>
        builder
            .AddEndpointFilter(async (invocation, next) =>
                await invocation.HttpContext.RequestServices.GetRequiredService<IFeatureManager>().IsEnabledAsync(feature)
                    ? await next(invocation)
                    : Problems.NotFound($"The '{feature}' feature is not part of this tenant's plan."))
            .ProducesProblems(StatusCodes.Status404NotFound);
}
