using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TieredTenancy.Tenancy.Data;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Tests.Provisioning;

/// <summary>Reads a database-tier tenant's stored credentials the way a service does: Data Protection with the catalog's key ring.</summary>
public static class TenantCredentials
{
    public static async Task<NpgsqlConnectionStringBuilder> ReadAsync(DistributedApplication app, Guid tenantId)
    {
        var catalogConnection = await app.GetConnectionStringAsync("catalog");
        var services = new ServiceCollection();
        services.AddDbContext<CatalogDbContext>(options => options.UseNpgsql(catalogConnection).UseCatalogConventions());
        services.AddDataProtection().SetApplicationName(TenantConnectionProtection.ApplicationName).PersistKeysToDbContext<CatalogDbContext>();
        await using var provider = services.BuildServiceProvider();
        await using var scope = provider.CreateAsyncScope();
        var catalog = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
        var tenant = await catalog.Tenants.AsNoTracking().SingleAsync(t => t.Id == tenantId);
        Assert.NotNull(tenant.Placement.ProtectedConnectionString);
        Assert.DoesNotContain("Password", tenant.Placement.ProtectedConnectionString);
        var fragment = provider.GetRequiredService<IDataProtectionProvider>()
            .CreateProtector(TenantConnectionProtection.Purpose)
            .Unprotect(tenant.Placement.ProtectedConnectionString!);
        return new NpgsqlConnectionStringBuilder(fragment);
    }
}
