using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using TieredTenancy.Tenancy.Hosting;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Tenancy.Http;

public static class RegistryChangeEndpoints
{
    /// <summary>Test runs only (<c>Provisioning:AllowFaultInjection</c>): what this process applied of one registry change, and when.</summary>
    public static IEndpointRouteBuilder MapRegistryChangesForTests(this IEndpointRouteBuilder app)
    {
        if (app.ServiceProvider.GetRequiredService<IConfiguration>().GetValue<bool>(ServiceSettings.AllowFaultInjection.Key))
        {
            app.MapGet("/testing/registry-changes", Results<Ok<IReadOnlyList<AppliedChange>>, ProblemHttpResult> (string change, RegistryChangeLog log) =>
                    change.Length is 0 or > 200
                        ? Problems.BadRequest("change must name a registry change of 1 to 200 characters.")
                        : TypedResults.Ok(log.Recent(change)))
                .ExcludeFromDescription();
        }
        return app;
    }
}
