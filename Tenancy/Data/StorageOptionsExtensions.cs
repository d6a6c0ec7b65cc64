using Microsoft.EntityFrameworkCore;
using Npgsql;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Tenancy.Data;

public static class StorageOptionsExtensions
{
    /// <summary>The provider settings of the tenant data model, the same for every tier.</summary>
    public static DbContextOptionsBuilder<TenantDataContext> UseTenantStorage(this DbContextOptionsBuilder<TenantDataContext> builder, string connectionString)
    {
        builder.UseNpgsql(connectionString, npgsql => npgsql.MigrationsAssembly(typeof(TenantDataContext).Assembly.GetName().Name))
            .UseSnakeCaseNamingConvention();
        return builder;
    }

    public static DbContextOptionsBuilder<TenantDataContext> UseTenantStorage(this DbContextOptionsBuilder<TenantDataContext> builder, NpgsqlDataSource dataSource)
    {
        builder.UseNpgsql(dataSource).UseSnakeCaseNamingConvention();
        return builder;
    }

    public static DbContextOptionsBuilder<CatalogDbContext> UseCatalog(this DbContextOptionsBuilder<CatalogDbContext> builder, string connectionString)
    {
        builder.UseNpgsql(connectionString).UseSnakeCaseNamingConvention().UseOpenIddict();
        return builder;
    }

    public static DbContextOptionsBuilder UseCatalogConventions(this DbContextOptionsBuilder builder)
    {
        builder.UseSnakeCaseNamingConvention().UseOpenIddict();
        return builder;
    }
}
