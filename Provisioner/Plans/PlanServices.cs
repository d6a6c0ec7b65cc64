using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Plans;

public static class PlanServices
{
    /// <summary>The plans, cached, and the listener that drops the cache when a plan changes (the change log lets tests see it applied).</summary>
    public static IHostApplicationBuilder AddPlans(this IHostApplicationBuilder builder)
    {
        builder.Services.AddMemoryCache();
        builder.Services.AddSingleton<PlanCatalog>();
        builder.Services.AddRegistryChangeFeed();
        builder.Services.AddSingleton<IRegistryChangeHandler, PlanChangeListener>();
        return builder;
    }
}
