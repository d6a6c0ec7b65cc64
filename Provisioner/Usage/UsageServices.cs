namespace TieredTenancy.Provisioner.Usage;

public static class UsageServices
{
    /// <summary>Measuring a tenant's usage against its plan's limits.</summary>
    public static IHostApplicationBuilder AddTenantUsage(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<TenantUsage>();
        return builder;
    }
}
