using Microsoft.EntityFrameworkCore;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Tenancy.Data;

/// <summary>The provider settings of the registry (catalog) model, for both services and design time.</summary>
public static class CatalogConventions
{
    public static DbContextOptionsBuilder<CatalogDbContext> UseCatalog(this DbContextOptionsBuilder<CatalogDbContext> builder, string connectionString)
    {
        builder.UseNpgsql(connectionString).UseCatalogConventions();
        return builder;
    }

    /// <summary>What the catalog needs on top of the Npgsql settings Aspire's integration makes.</summary>
    public static DbContextOptionsBuilder UseCatalogConventions(this DbContextOptionsBuilder builder)
    {
        builder.UseSnakeCaseNamingConvention().UseOpenIddict();
        return builder;
    }
}
