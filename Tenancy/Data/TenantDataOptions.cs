using Microsoft.EntityFrameworkCore;
using TieredTenancy.Tenancy.Isolation;

namespace TieredTenancy.Tenancy.Data;

/// <summary>
/// The provider settings of the tenant data model, written once and the same for every tier:
/// PostgreSQL through Npgsql, snake_case names and, for a context that serves tenants, the
/// binding of every command to its tenant.
/// </summary>
public static class TenantDataOptions
{
    /// <summary>
    /// Every command bound to the context's tenant (<see cref="TenantBindingInterceptor"/>), and what may have committed
    /// noted (<see cref="CommitTracking"/>, first: it reads the command before the binding's prefix); the connection is set per context.
    /// </summary>
    public static DbContextOptions<TenantDataContext> Bound { get; } =
        new DbContextOptionsBuilder<TenantDataContext>().UseTenantStorage().AddInterceptors(new CommitTracking(), new TenantBindingInterceptor()).Options;

    /// <summary>No binding: only for the benchmark's plain baseline, which measures what tenancy costs by leaving it out.</summary>
    public static DbContextOptions<TenantDataContext> Unbound { get; } =
        new DbContextOptionsBuilder<TenantDataContext>().UseTenantStorage().Options;

    /// <summary>Npgsql and snake_case names; a connection string only where EF connects by itself (migrations, design time).</summary>
    public static DbContextOptionsBuilder<TenantDataContext> UseTenantStorage(this DbContextOptionsBuilder<TenantDataContext> builder, string? connectionString = null)
    {
        var migrationsAssembly = typeof(TenantDataContext).Assembly.GetName().Name;
        (connectionString is null
                ? builder.UseNpgsql(npgsql => npgsql.MigrationsAssembly(migrationsAssembly))
                : builder.UseNpgsql(connectionString, npgsql => npgsql.MigrationsAssembly(migrationsAssembly)))
            .UseSnakeCaseNamingConvention()
            .ReplaceService<Microsoft.EntityFrameworkCore.Infrastructure.IModelCacheKeyFactory, TenantDataShapeModelCacheKeyFactory>();
        return builder;
    }
}
