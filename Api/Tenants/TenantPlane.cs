using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using TieredTenancy.Api.Audit;
using TieredTenancy.Api.Tenants.Naming;
using TieredTenancy.Tenancy.Http;

namespace TieredTenancy.Api.Tenants;

/// <summary>The endpoints that act on one tenant's data.</summary>
public static class TenantPlane
{
    /// <summary>
    /// The endpoints act on one tenant's data: <see cref="TenantResolution"/> decides which tenant
    /// before they run (or refuses the request), and each platform-admin request to them is
    /// written to that tenant's audit trail before anything else of the endpoint runs.
    /// </summary>
    public static TBuilder RequireTenant<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(new TenantPlaneEndpoint());
        builder.Add(endpoint => endpoint.FilterFactories.Insert(0, PlatformAdminAuditFilter.Factory));
        // No token, or one without a tenant: 401. A tenant that is not the token's, or not served: 403.
        return builder.ProducesProblems(StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden);
    }

    /// <summary>Whether the request's endpoint acts on a tenant's data.</summary>
    public static bool Includes(HttpContext http) => http.GetEndpoint()?.Metadata.GetMetadata<TenantPlaneEndpoint>() is not null;

    /// <summary>For OpenAPI: each tenant-plane operation takes the optional <c>X-Tenant</c> header.</summary>
    public static OpenApiOptions DescribeTenantHeader(this OpenApiOptions options) =>
        options.AddOperationTransformer((operation, context, _) =>
        {
            if (context.Description.ActionDescriptor.EndpointMetadata.OfType<TenantPlaneEndpoint>().Any())
            {
                operation.Parameters ??= [];
                operation.Parameters.Add(new OpenApiParameter
                {
                    Name = HeaderTenantNaming.HeaderName,
                    In = ParameterLocation.Header,
                    Required = false,
                    Description = "The tenant's slug (a platform admin names the tenant it acts on with it), or for a tenant client its own slug or id.",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                });
            }
            return Task.CompletedTask;
        });

    private sealed class TenantPlaneEndpoint;
}
