namespace TieredTenancy.Tenancy.Isolation;

/// <summary>
/// What a database connection must be bound to before it serves a tenant: the role it acts as,
/// its search_path, the RLS tenant setting, and the database it must be in; and the placement
/// epoch the caller believes in, which the placement itself checks (see <see cref="PlacementFence"/>).
/// </summary>
/// <param name="Writes">
/// The commands may write: they take the tenant's write lock shared, so a tier move's freeze makes
/// them wait instead of landing on a placement being retired. Reads never wait for a move.
/// </param>
public sealed record TenantBinding(Guid TenantId, string Role, string SearchPath, string Database, long Epoch, bool Writes)
{
    /// <summary>The role value that means "the login role itself" (RESET ROLE).</summary>
    public const string LoginRole = "none";
}
