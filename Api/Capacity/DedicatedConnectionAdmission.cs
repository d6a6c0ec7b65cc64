using TieredTenancy.Api.Isolation;
using TieredTenancy.Api.Tenants;
using TieredTenancy.Tenancy.Http;
using TieredTenancy.Tenancy.Plans;

namespace TieredTenancy.Api.Capacity;

/// <summary>
/// A database-tier tenant's request enters its pool within the replica's share of the server's
/// connection budget before it runs, and leaves it when it ends; when no connection frees up within
/// the wait it answers 503 with Retry-After instead of failing in Npgsql with 500.
/// </summary>
public sealed class DedicatedConnectionAdmission(RequestDelegate next, DedicatedDataSources pools, ILogger<DedicatedConnectionAdmission> logger)
{
    public async Task InvokeAsync(HttpContext http)
    {
        var tenant = http.RequestServices.GetRequiredService<RequestTenant>();
        if (!tenant.IsResolved || tenant.Tenant.Isolation != IsolationKind.Database)
        {
            await next(http);
            return;
        }
        IAsyncDisposable lease;
        try
        {
            lease = await pools.EnterAsync(tenant.Tenant, http.RequestAborted);
        }
        catch (ConnectionBudgetExhaustedException exception)
        {
            logger.LogWarning("Tenant {TenantId}: {Reason}", tenant.Tenant.Id, exception.Message);
            http.Response.Headers.RetryAfter = "2";
            await Problems.Unavailable($"The tenant's database server is at its connection budget: {exception.Message} Retry in a moment.").ExecuteAsync(http);
            return;
        }
        await using (lease)
        {
            await next(http);
        }
    }
}
