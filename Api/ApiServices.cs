using System.Text.Json;
using System.Text.Json.Serialization;
using TieredTenancy.Api.Tenants;
using TieredTenancy.Tenancy.Http;

namespace TieredTenancy.Api;

public static class ApiServices
{
    /// <summary>JSON, problem details, the OpenAPI document.</summary>
    public static IHostApplicationBuilder AddHttpContract(this IHostApplicationBuilder builder)
    {
        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
        });
        builder.Services.AddProblemDetailsDefaults();
        builder.AddOpenApiDocument("TieredTenancy tenant API",
            "Each tenant's projects, tasks and comments, served through the isolation its plan selects. Every request carries an access token "
            + "from the Provisioner; the token names the tenant.",
            new Dictionary<string, string>
            {
                ["Tenant"] = "The caller's tenant.",
                ["Projects"] = "Projects of the tenant.",
                ["Tasks"] = "Tasks in projects.",
                ["Comments"] = "Comments on tasks.",
                ["Search"] = "Full-text search over tasks (plans with the search feature).",
                ["Audit"] = "The tenant's own audit trail (plans with the audit-events feature).",
                ["Clients"] = "The tenant's own API clients: its admin clients make and revoke member clients (self-service).",
            },
            options => options.DescribeTenantHeader());
        return builder;
    }
}
