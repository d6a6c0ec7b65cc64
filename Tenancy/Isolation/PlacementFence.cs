namespace TieredTenancy.Tenancy.Isolation;

/// <summary>
/// The database side of "a tenant is served from exactly one placement at a time". Every database
/// that holds tenant placements (the shared tenant database and each tenant database) has a
/// function <c>public.tt_enter(tenant, epoch, writes)</c> that the binding round trip of every
/// tenant command calls:
/// <list type="bullet">
/// <item>a write takes the tenant's advisory lock <em>shared</em> for its transaction; a tier move
/// takes it <em>exclusive</em> to freeze the tenant's writes, so writers wait instead of failing;</item>
/// <item>then, reads and writes alike, the placement refuses an epoch it has retired: a move records
/// "refused through epoch E" here before it flips the registry, so a replica with a stale registry
/// entry is refused by PostgreSQL itself (<see cref="RetiredSqlState"/>), refreshes its entry and
/// retries on the new placement.</item>
/// </list>
/// The lock comes before the check, so a writer released after the flip sees the fence.
/// </summary>
public static class PlacementFence
{
    /// <summary>The SQLSTATE <c>tt_enter</c> raises for a retired placement.</summary>
    public const string RetiredSqlState = "TT001";
}
