namespace TieredTenancy.Tenancy.Registry;

/// <summary>
/// Every registry change is published on one Redis channel with the tenant id as the message, so
/// every Api replica drops its cached copy of that tenant.
/// </summary>
public static class RegistryChanges
{
    public const string Channel = "tt:registry-changes";
}
