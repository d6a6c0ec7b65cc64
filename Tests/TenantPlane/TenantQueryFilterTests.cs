using Microsoft.EntityFrameworkCore;
using TieredTenancy.Tenancy.Data;

namespace TieredTenancy.Tests.TenantPlane;

/// <summary>The EF half of row isolation, without a database: every tenant table is read through the tenant filter.</summary>
public sealed class TenantQueryFilterTests
{
    [Fact]
    public void Every_tenant_owned_entity_has_the_tenant_query_filter()
    {
        using var context = new TenantDataContext(TenantDataOptions.Bound);
        var entities = context.Model.GetEntityTypes().ToList();

        Assert.NotEmpty(entities);
        Assert.All(entities, entity =>
        {
            Assert.True(typeof(ITenantOwned).IsAssignableFrom(entity.ClrType), $"{entity.ClrType.Name} has no tenant_id");
            Assert.Single(entity.GetDeclaredQueryFilters());
        });
    }

    [Fact]
    public void A_context_without_a_tenant_reads_nothing_from_any_tenant_table()
    {
        using var context = new TenantDataContext(TenantDataOptions.Bound);
        foreach (var sql in new[] { context.Projects.ToQueryString(), context.Tasks.ToQueryString(), context.Comments.ToQueryString(), context.AuditEntries.ToQueryString() })
        {
            // The filter compares tenant_id with the context's tenant; with none, EF folds it to FALSE.
            Assert.EndsWith("WHERE FALSE", sql);
        }
    }
}
