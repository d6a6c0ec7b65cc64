using TieredTenancy.Tenancy.Http;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Tenants;

public sealed record CreateTenantRequest(string? Slug, string? Name, string? Plan) : IValidatedRequest
{
    /// <summary>Field errors; empty when the request is valid (the plan's existence is checked against the catalog).</summary>
    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrEmpty(Slug) || !TenantNames.SlugPattern().IsMatch(Slug))
        {
            errors["slug"] = ["slug must be 3 to 40 characters: a lowercase letter first, then lowercase letters, digits or hyphens."];
        }
        if (string.IsNullOrWhiteSpace(Name) || Name.Length > TenantNames.MaxLength || Name.Any(char.IsControl))
        {
            errors["name"] = [$"name must be 1 to {TenantNames.MaxLength} characters, not only spaces, without control characters."];
        }
        if (string.IsNullOrEmpty(Plan))
        {
            errors["plan"] = ["plan is required."];
        }
        return errors;
    }
}
