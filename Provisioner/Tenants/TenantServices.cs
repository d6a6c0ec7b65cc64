namespace TieredTenancy.Provisioner.Tenants;

public static class TenantServices
{
    /// <summary>Reading tenants, suspending and resuming them.</summary>
    public static IHostApplicationBuilder AddTenantRegistry(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<TenantLookup>();
        builder.Services.AddScoped<TenantStatusChange>();
        return builder;
    }
}
