using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Tenancy.Data;

// `dotnet ef migrations add` builds the models without a running database.
public sealed class TenantDataContextDesignTimeFactory : IDesignTimeDbContextFactory<TenantDataContext>
{
    public TenantDataContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<TenantDataContext>().UseTenantStorage("Host=localhost").Options);
}

public sealed class CatalogDbContextDesignTimeFactory : IDesignTimeDbContextFactory<CatalogDbContext>
{
    public CatalogDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<CatalogDbContext>().UseCatalog("Host=localhost").Options);
}
