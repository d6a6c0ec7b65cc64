using TieredTenancy.Api.Audit;

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
        builder.Add(endpoint => endpoint.FilterFactories.Insert(0, PlatformAdminAccessAudit.Factory));
        return builder;
    }

    /// <summary>Whether the request's endpoint acts on a tenant's data.</summary>
    public static bool Includes(HttpContext http) => http.GetEndpoint()?.Metadata.GetMetadata<TenantPlaneEndpoint>() is not null;

    private sealed class TenantPlaneEndpoint;
}
