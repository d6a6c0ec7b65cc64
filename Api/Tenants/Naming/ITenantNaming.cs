namespace TieredTenancy.Api.Tenants.Naming;

/// <summary>
/// One way a request can name the tenant it acts on (as Finbuckle's strategies do). Each only
/// reads; <see cref="TenantResolution"/> states which ones count and how they must agree.
/// </summary>
public interface ITenantNaming
{
    /// <summary>The tenant's id or slug as this request gives it this way, or null when it gives none.</summary>
    string? NameIn(HttpContext http);
}
