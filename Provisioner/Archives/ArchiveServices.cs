using TieredTenancy.Provisioner.Operations;
using TieredTenancy.Tenancy.Archives;
using TieredTenancy.Tenancy.Hosting;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Archives;

public static class ArchiveServices
{
    /// <summary>Tenant archives: the store, export, and import (an operation).</summary>
    public static IHostApplicationBuilder AddTenantArchives(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<ArchiveOptions>(ArchiveOptions.SectionName);
        builder.Services.AddSingleton<ArchiveStore>();
        builder.Services.AddScoped<TenantExport>();
        builder.Services.AddSingleton<TenantArchiveSignature>();
        builder.Services.AddSingleton<TenantArchiveCheck>();
        builder.Services.AddOperationHandler<TenantImport>(OperationKind.Import);
        return builder;
    }
}
