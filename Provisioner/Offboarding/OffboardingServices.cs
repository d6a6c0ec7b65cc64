using TieredTenancy.Provisioner.Operations;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Offboarding;

public static class OffboardingServices
{
    /// <summary>Offboarding (an operation that ends in a deletion certificate) and the retention of offboarded tenants' archives.</summary>
    public static IHostApplicationBuilder AddTenantOffboarding(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOperationHandler<TenantOffboarding>(OperationKind.Offboard);
        builder.Services.AddHostedService<ArchiveRetention>();
        return builder;
    }
}
