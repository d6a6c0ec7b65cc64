namespace TieredTenancy.Tenancy.Isolation;

/// <summary>
/// The database side of "a tenant is served from exactly one placement at a time": every tenant
/// command calls <c>public.tt_enter(tenant, epoch, writes)</c>. A write takes the tenant's advisory
/// lock shared (a move's freeze takes it exclusive, so writers wait); then an epoch the placement has
/// retired is refused (<see cref="RetiredSqlState"/>), so a stale replica refreshes and retries. The
/// lock comes before the check, so a writer released after the flip sees the fence.
/// </summary>
public static class PlacementFence
{
    /// <summary>The SQLSTATE <c>tt_enter</c> raises for a retired placement.</summary>
    public const string RetiredSqlState = "TT001";
}
