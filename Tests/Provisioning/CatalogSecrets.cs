using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Configuration;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TieredTenancy.Tenancy.Data;
using TieredTenancy.Tenancy.Hosting;
using TieredTenancy.Tenancy.Registry;

using TieredTenancy.Tests.Stack;

namespace TieredTenancy.Tests.Provisioning;

/// <summary>Reads what the catalog keeps encrypted, the way a service does: Data Protection with the catalog's key ring and the key-encryption certificate.</summary>
public static class CatalogSecrets
{
    public static async Task<T> WithCatalogAsync<T>(DistributedApplication app, Func<CatalogDbContext, IDataProtectionProvider, Task<T>> read)
    {
        var catalogConnection = await app.GetConnectionStringAsync("catalog");
        var services = new ServiceCollection();
        services.AddDbContext<CatalogDbContext>(options => options.UseNpgsql(catalogConnection).UseCatalogConventions());
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [ServiceSettings.KeyEncryptionCertificate.Key] = await app.ParameterAsync("key-encryption-certificate"),
        }).Build();
        services.AddCatalogKeyRing(configuration, readOnly: true);
        await using var provider = services.BuildServiceProvider();
        await using var scope = provider.CreateAsyncScope();
        return await read(scope.ServiceProvider.GetRequiredService<CatalogDbContext>(), provider.GetRequiredService<IDataProtectionProvider>());
    }

    /// <summary>A database-tier tenant's stored credentials.</summary>
    public static Task<NpgsqlConnectionStringBuilder> TenantCredentialsAsync(DistributedApplication app, Guid tenantId) =>
        WithCatalogAsync(app, async (catalog, protection) =>
        {
            var tenant = await catalog.Tenants.AsNoTracking().SingleAsync(t => t.Id == tenantId);
            Assert.NotNull(tenant.Placement.ProtectedConnectionString);
            Assert.DoesNotContain("Password", tenant.Placement.ProtectedConnectionString);
            return new NpgsqlConnectionStringBuilder(protection.CreateProtector(TenantConnectionProtection.Purpose)
                .Unprotect(tenant.Placement.ProtectedConnectionString!));
        });

    /// <summary>A connection string that logs in with a tenant's <paramref name="credentials"/> at <paramref name="server"/>'s address, unpooled.</summary>
    public static string LoginTo(NpgsqlConnectionStringBuilder server, NpgsqlConnectionStringBuilder credentials, string? database = null) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = server.Host,
            Port = server.Port,
            Database = database ?? credentials.Database,
            Username = credentials.Username,
            Password = credentials.Password,
            Pooling = false,
        }.ConnectionString;

    /// <summary>The Provisioner's token signing key (PKCS#8) and its key id, for minting test tokens the Api must judge.</summary>
    public static Task<(byte[] Pkcs8, string KeyId)> SigningKeyAsync(DistributedApplication app) =>
        WithCatalogAsync(app, async (catalog, protection) =>
        {
            var key = await catalog.SigningKeys.AsNoTracking().OrderBy(k => k.CreatedAt).FirstAsync();
            var pkcs8 = Convert.FromBase64String(protection.CreateProtector("TieredTenancy.TokenSigningKey.v1").Unprotect(key.ProtectedKey));
            return (pkcs8, key.Id.ToString("N"));
        });
}
