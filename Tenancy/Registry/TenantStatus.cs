namespace TieredTenancy.Tenancy.Registry;

public enum TenantStatus
{
    /// <summary>Its storage is being made; not served. Either becomes Active or is removed.</summary>
    Provisioning,
    Active,
    Suspended,
    Moving,
    Offboarding,
    Deleted,
}
