using System.Security.Claims;
using TieredTenancy.Tenancy.Identity;

namespace TieredTenancy.Api.Tenants.Naming;

/// <summary>The validated access token's <c>tenant_id</c> claim: the tenant a tenant client belongs to.</summary>
public sealed class TokenTenantNaming : ITenantNaming
{
    public string? NameIn(HttpContext http) => http.User.FindFirstValue(TenancyClaims.TenantId);
}
