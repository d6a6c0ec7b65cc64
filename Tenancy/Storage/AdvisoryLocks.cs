namespace TieredTenancy.Tenancy.Storage;

/// <summary>
/// Every PostgreSQL advisory lock the platform takes, by its first key, with what it protects. One
/// list, so no two uses share a key by accident; the second key (where there is one) is
/// <c>hashtext(tenant_id::text)</c>.
/// </summary>
public static class AdvisoryLocks
{
    /// <summary>The bootstrap creating the platform's roles on a server: two bootstraps on one data folder must not race.</summary>
    public const int PlatformRoles = 7301;

    /// <summary>
    /// A tenant's writes in its storage (second key: the tenant): writers take it shared, a tier
    /// move's freeze and an offboarding take it exclusive (<c>PlacementFence</c>).
    /// </summary>
    public const int TenantWrites = 7302;

    /// <summary>Creating a database's change-capture schema: two moves from one database must not race to make it.</summary>
    public const int ChangeCaptureSchema = 7303;

    /// <summary>
    /// A tenant in the catalog (second key: the tenant) while a fleet migration migrates its storage
    /// or a tier move of it starts: the two never overlap on one tenant.
    /// </summary>
    public const int TenantStorageWork = 7304;

    /// <summary>
    /// A tenant being created (second key: the tenant), held in the catalog by the instance making it
    /// until it is done: a Provisioner starting meanwhile undoes only tenants whose creator is gone.
    /// </summary>
    public const int TenantCreation = 7305;

    /// <summary>A Provisioner replica's start, held in the catalog until its hosted services have started: replicas start one at a time.</summary>
    public const int ProvisionerStart = 7306;
}
