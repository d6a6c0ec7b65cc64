using TieredTenancy.Tenancy.Archives;

namespace TieredTenancy.Api.Export;

public static class ExportServices
{
    /// <summary>A tenant's own export: its archives' manifests are signed under the catalog's key ring, as the Provisioner's are.</summary>
    public static IHostApplicationBuilder AddTenantExport(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<TenantArchiveSignature>();
        return builder;
    }
}
