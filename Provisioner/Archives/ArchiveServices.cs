using TieredTenancy.Provisioner.Operations;
using TieredTenancy.Provisioner.Offboarding;
using TieredTenancy.Tenancy.Hosting;

namespace TieredTenancy.Provisioner.Archives;

public static class ArchiveServices
{
    /// <summary>Tenant archives: export, import (an operation), offboarding (an operation) and the store's retention.</summary>
    public static IHostApplicationBuilder AddTenantArchives(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<ArchiveOptions>(ArchiveOptions.SectionName);
        builder.Services.AddSingleton<ArchiveStore>();
        builder.Services.AddScoped<TenantExport>();
        builder.Services.AddSingleton<TenantArchiveCheck>();
        builder.Services.AddSingleton<IOperationHandler, TenantImport>();
        builder.Services.AddSingleton<IOperationHandler, TenantOffboarding>();
        builder.Services.AddHostedService<ArchiveRetention>();
        return builder;
    }
}
