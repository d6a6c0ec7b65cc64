using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace TieredTenancy.Tenancy.Data;

/// <summary>
/// Which columns a tenant's storage has, from its migration version. While a fleet migration rolls
/// out (or back), tenants are served at either version: each context maps only the columns its
/// storage has, and the Api offers the newer fields only where they exist.
/// </summary>
public sealed record TenantDataShape(bool TaskPriorities)
{
    /// <summary>The migration that gives tasks a priority and labels.</summary>
    public const string TaskPrioritiesMigration = "20261127132448_TaskPriorityAndLabels";

    public static TenantDataShape Latest { get; } = new(TaskPriorities: true);

    public static TenantDataShape BeforeTaskPriorities { get; } = new(TaskPriorities: false);

    /// <summary>Migration ids start with their timestamp, so they sort in the order they apply.</summary>
    public static TenantDataShape For(string? version) =>
        string.IsNullOrEmpty(version) || string.CompareOrdinal(version, TaskPrioritiesMigration) >= 0 ? Latest : BeforeTaskPriorities;
}

/// <summary>EF builds and caches one model per shape, instead of one per context type.</summary>
public sealed class TenantDataShapeModelCacheKeyFactory : IModelCacheKeyFactory
{
    public object Create(DbContext context, bool designTime) =>
        context is TenantDataContext tenantData ? (context.GetType(), tenantData.Shape, designTime) : (context.GetType(), designTime);
}
