using TieredTenancy.Tenancy.Http;

namespace TieredTenancy.Provisioner;

public static class AdminApi
{
    /// <summary>The admin API's contract: problem details for every error, and its OpenAPI document.</summary>
    public static IHostApplicationBuilder AddAdminApiContract(this IHostApplicationBuilder builder)
    {
        builder.Services.AddProblemDetailsDefaults();
        builder.AddOpenApiDocument("TieredTenancy control plane API",
            "The Provisioner's admin API: plans, tenants and their API clients, plan changes and moves, and the long operations they start. "
            + "Every request carries a platform-admin access token from POST /connect/token "
            + "(OAuth 2.0 client credentials, form-encoded; client_id=platform-admin).",
            new Dictionary<string, string>
            {
                ["Plans"] = "The plans: isolation, features and limits.",
                ["Tenants"] = "Provisioning, reading, suspending and resuming tenants; plan changes and moves between tiers and servers.",
                ["Clients"] = "A tenant's API clients (OAuth 2.0 client credentials).",
                ["Operations"] = "Long operations (tier moves, fleet migrations, imports, offboardings): phase, progress and report; resuming one that failed.",
                ["Migrations"] = "Every storage target's version, and fleet migrations between versions.",
            });
        return builder;
    }
}
