namespace TieredTenancy.Tenancy.Identity;

/// <summary>
/// What the platform's access tokens say, named once for the Provisioner that issues them and the
/// Api that reads them.
/// </summary>
public static class TenancyClaims
{
    /// <summary>The client id of the caller.</summary>
    public const string Subject = "sub";

    /// <summary>The caller's role: one of <see cref="TenancyRoles"/>.</summary>
    public const string Role = "role";

    /// <summary>The id of the tenant a tenant client belongs to; a platform admin's token has none.</summary>
    public const string TenantId = "tenant_id";

    /// <summary>
    /// Which of the client's secrets the token was issued for (1, then one more per rotation); a
    /// token without it was issued for the first. See <c>ApiClient.Generation</c>.
    /// </summary>
    public const string ClientGeneration = "client_gen";

    /// <summary>The audience of every access token: the platform's APIs.</summary>
    public const string Audience = "tieredtenancy";
}

/// <summary>The roles an API client has, carried in its tokens' <see cref="TenancyClaims.Role"/> claim.</summary>
public static class TenancyRoles
{
    /// <summary>The control plane's administrator; acts on a tenant's data only by naming it, and is audited there.</summary>
    public const string PlatformAdmin = "platform-admin";

    /// <summary>A tenant's client that works with the tenant's data.</summary>
    public const string Member = "member";

    /// <summary>A tenant's client that may also manage the tenant's own clients and read its audit trail.</summary>
    public const string Admin = "admin";

    public static bool IsTenantRole(string? role) => role is Member or Admin;
}
