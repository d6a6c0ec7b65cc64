namespace TieredTenancy.Tenancy.Clients;

/// <summary>
/// Where a tenant's admin manages the tenant's own member clients on the Provisioner. The Api's
/// <c>/clients</c> forwards there with the caller's own token, so the Api itself holds no
/// credential that could write the catalog, and the Provisioner decides from the token alone
/// which tenant is meant.
/// </summary>
public static class SelfServiceClients
{
    public const string Path = "/tenant/clients";

    public static string PathOf(string clientId) => $"{Path}/{Uri.EscapeDataString(clientId)}";
}
