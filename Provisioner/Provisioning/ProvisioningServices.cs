namespace TieredTenancy.Provisioner.Provisioning;

public static class ProvisioningServices
{
    /// <summary>Creating tenants at every tier, and undoing at start what a crash left half-made.</summary>
    public static IHostApplicationBuilder AddTenantProvisioning(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<TenantProvisioning>();
        builder.Services.AddHostedService<UnfinishedProvisioning>();
        return builder;
    }
}
