using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Http.HttpResults;

namespace TieredTenancy.Tenancy.Http;

public static class RouteIds
{
    /// <summary>The OpenAPI description of a route's tenant id.</summary>
    public const string TenantDescription = "The tenant's id (a UUID).";

    /// <summary>Route ids are UUIDs; anything else is a 400, not a lookup.</summary>
    public static bool TryParse(string value, out Guid id, [NotNullWhen(false)] out ProblemHttpResult? problem)
    {
        problem = Guid.TryParseExact(value, "D", out id) ? null : Problems.BadRequest($"'{Truncate(value)}' is not a valid id; ids are UUIDs.");
        return problem is null;
    }

    private static string Truncate(string value) => value.Length <= 40 ? value : value[..40] + "…";
}
