using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;

namespace TieredTenancy.Tenancy.Data;

/// <summary>
/// The tenant query filter, written once for every <see cref="ITenantOwned"/> entity (the idea of
/// Finbuckle's <c>IsMultiTenant()</c>): each query reads only the rows of the context's
/// <see cref="TenantDataContext.CurrentTenantId"/>, and nothing at all when none is set.
/// </summary>
public static class TenantQueryFilter
{
    public static ModelBuilder FilterTenantOwnedEntities(this ModelBuilder modelBuilder, TenantDataContext context)
    {
        foreach (var entity in modelBuilder.Model.GetEntityTypes().Where(entity => typeof(ITenantOwned).IsAssignableFrom(entity.ClrType)))
        {
            modelBuilder.Entity(entity.ClrType).HasQueryFilter(For(entity.ClrType, context));
        }
        return modelBuilder;
    }

    /// <summary>
    /// <c>row => row.TenantId == context.CurrentTenantId</c>, as the compiler writes it inside the
    /// context: EF reads the context member anew for each query, on the context that runs it.
    /// </summary>
    private static LambdaExpression For(Type entity, TenantDataContext context)
    {
        var row = Expression.Parameter(entity, "row");
        var rowTenant = Expression.Convert(Expression.Property(row, nameof(ITenantOwned.TenantId)), typeof(Guid?));
        var currentTenant = Expression.Property(Expression.Constant(context), nameof(TenantDataContext.CurrentTenantId));
        return Expression.Lambda(Expression.Equal(rowTenant, currentTenant), row);
    }
}
