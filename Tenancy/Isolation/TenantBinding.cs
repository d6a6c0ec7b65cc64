namespace TieredTenancy.Tenancy.Isolation;

/// <summary>
/// What a database connection must be bound to before it serves a tenant: the role it acts as,
/// its search_path, the RLS tenant setting, and the database it must be in.
/// </summary>
public sealed record TenantBinding(Guid TenantId, string Role, string SearchPath, string Database)
{
    /// <summary>The role value that means "the login role itself" (RESET ROLE).</summary>
    public const string LoginRole = "none";
}
