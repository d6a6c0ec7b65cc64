namespace TieredTenancy.Provisioner.Servers;

public static class ServerServices
{
    /// <summary>The dedicated servers' load and capacity, and the policy that places database-tier tenants on them.</summary>
    public static IHostApplicationBuilder AddServerPlacement(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<ServerLoad>();
        builder.Services.AddScoped<DedicatedPlacementPolicy>();
        return builder;
    }
}
