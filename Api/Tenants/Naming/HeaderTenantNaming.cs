namespace TieredTenancy.Api.Tenants.Naming;

/// <summary>The <c>X-Tenant</c> header: a tenant's slug, or its id.</summary>
public sealed class HeaderTenantNaming : ITenantNaming
{
    public const string HeaderName = "X-Tenant";

    public string? NameIn(HttpContext http) => http.Request.Headers[HeaderName].ToString() is { Length: > 0 } named ? named : null;
}
