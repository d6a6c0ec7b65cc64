namespace TieredTenancy.Tenancy.Registry;

/// <summary>
/// Database-tier credentials are stored encrypted with ASP.NET Core Data Protection, keys in the
/// catalog so every replica of every service can read them.
/// </summary>
public static class TenantConnectionProtection
{
    public const string ApplicationName = "TieredTenancy";

    /// <summary>The protector purpose of a tenant's connection fragment (database, user, password).</summary>
    public const string Purpose = "TieredTenancy.TenantConnection.v1";
}
