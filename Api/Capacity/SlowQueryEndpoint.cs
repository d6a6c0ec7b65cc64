using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TieredTenancy.Tenancy.Data;
using TieredTenancy.Tenancy.Hosting;

namespace TieredTenancy.Api.Capacity;

/// <summary>
/// Test runs only (<c>Provisioning:AllowFaultInjection</c>, which only the tests set): a query that
/// sleeps in PostgreSQL, on the tenant's own binding and pool, so tests can watch the tier's
/// statement timeout cut it.
/// </summary>
public static class SlowQueryEndpoint
{
    public static RouteGroupBuilder MapSlowQueryForTests(this RouteGroupBuilder tenantPlane)
    {
        var options = ((IEndpointRouteBuilder)tenantPlane).ServiceProvider.GetRequiredService<IOptions<FaultInjectionOptions>>().Value;
        if (options.AllowFaultInjection)
        {
            tenantPlane.MapGet("/testing/slow-query", async (double seconds, TenantDataContext data, CancellationToken cancellationToken) =>
                    TypedResults.Ok(await data.Database.SqlQueryRaw<int>("SELECT 1 AS \"Value\" FROM pg_sleep({0})", seconds).ToListAsync(cancellationToken)))
                .ExcludeFromDescription();
        }
        return tenantPlane;
    }
}
