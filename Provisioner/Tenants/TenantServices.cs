using TieredTenancy.Provisioner.Audit;
using TieredTenancy.Provisioner.Plans;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Tenants;

public static class TenantServices
{
    /// <summary>Reading tenants, suspending and resuming them, and the registry broadcast.</summary>
    public static IHostApplicationBuilder AddTenantRegistry(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<RegistryBroadcast>();
        builder.Services.AddSingleton<RegistryChangeLog>();
        builder.Services.AddScoped<TenantLookup>();
        builder.Services.AddScoped<TenantStatusChange>();
        return builder;
    }
}
