using TieredTenancy.Tenancy.Http;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Provisioning;

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
        TextField.Check(errors, "name", Name, TenantNames.MaxLength);
        if (string.IsNullOrEmpty(Plan))
        {
            errors["plan"] = ["plan is required."];
        }
        return errors;
    }
}
