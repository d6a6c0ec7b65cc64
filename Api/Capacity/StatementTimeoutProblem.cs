using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Options;
using Npgsql;
using TieredTenancy.Api.Tenants;
using TieredTenancy.Tenancy.Capacity;
using TieredTenancy.Tenancy.Http;

namespace TieredTenancy.Api.Capacity;

/// <summary>
/// A tenant query that PostgreSQL cancelled at its tier's statement timeout answers 504 naming the
/// limit, instead of an anonymous 500: the client learns the query, not the service, was the problem.
/// </summary>
public sealed class StatementTimeoutProblem(IOptions<CapacityOptions> capacity) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken cancellationToken)
    {
        if (!IsStatementTimeout(exception) || http.Response.HasStarted)
        {
            return false;
        }
        var tenant = http.RequestServices.GetRequiredService<RequestTenant>();
        var limit = tenant.IsResolved ? capacity.Value.StatementTimeout(tenant.Tenant.Isolation) : capacity.Value.SharedStatementTimeout;
        await Problems.Timeout(
            $"The query ran longer than the {limit.TotalSeconds:0.###} s statement timeout of this tenant's tier and PostgreSQL cancelled it; "
            + "narrow the request (a smaller page, a more specific search).").ExecuteAsync(http);
        return true;
    }

    private static bool IsStatementTimeout(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is PostgresException { SqlState: PostgresErrorCodes.QueryCanceled } canceled
                && canceled.MessageText.Contains("statement timeout", StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }
}
