using System.ComponentModel;
using TieredTenancy.Tenancy.Http;
using TieredTenancy.Tenancy.Identity;

namespace TieredTenancy.Tenancy.Clients;

/// <summary>A tenant admin's request for a new member client of its own tenant (self-service).</summary>
public sealed record MemberClientRequest(
    [property: Description("What the client is for, e.g. \"acme ci\".")] string? Name,
    [property: Description("member (the default); admin clients are made by the platform admin.")] string? Role) : IValidatedRequest
{
    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>();
        TextField.Check(errors, "name", Name, 100);
        if (Role is not (null or TenancyRoles.Member or TenancyRoles.Admin))
        {
            errors["role"] = [$"role must be '{TenancyRoles.Member}'."];
        }
        return errors;
    }

    /// <summary>An admin asks for an admin client: not through self-service (a 403, not a bad request).</summary>
    public bool AsksForAdmin => Role == TenancyRoles.Admin;
}
