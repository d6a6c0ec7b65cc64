using System.Globalization;
using Microsoft.Extensions.Configuration;
using TieredTenancy.Tenancy.Storage;

namespace TieredTenancy.Tenancy.Hosting;

/// <summary>
/// The settings the AppHost hands to the services, named once for both sides: the AppHost sets
/// each as an environment variable, a service binds the section to its options class, whose
/// property carries the key's name.
/// </summary>
public static class ServiceSettings
{
    public const string TenantStorageSection = "TenantStorage";
    public const string TenancySection = "Tenancy";
    public const string PlatformAdminSection = "PlatformAdmin";
    public const string ProvisioningSection = "Provisioning";
    public const string BenchSection = "Bench";
    public const string ArchivesSection = "Archives";
    public const string BootstrapSection = "Bootstrap";
    public const string DataProtectionSection = "DataProtection";
    public const string CapacitySection = "Capacity";

    /// <summary>The bootstrap: the password it gives the Api's tenant-data login role (the Api gets it in its connection string).</summary>
    public static readonly ServiceSetting AppPassword = new(BootstrapSection, "AppPassword");

    /// <summary>The bootstrap: the password of the Provisioner's login role.</summary>
    public static readonly ServiceSetting ProvisionerPassword = new(BootstrapSection, "ProvisionerPassword");

    /// <summary>The bootstrap: the password of the Api's catalog login role.</summary>
    public static readonly ServiceSetting ResolverPassword = new(BootstrapSection, "ResolverPassword");

    /// <summary>Both services: the certificate (base64 PKCS#12) that encrypts the Data Protection key ring at rest.</summary>
    public static readonly ServiceSetting KeyEncryptionCertificate = new(DataProtectionSection, "KeyEncryptionCertificate");

    /// <summary>The Provisioner and the bootstrap: the connection-string name of the dedicated server at <paramref name="index"/>.</summary>
    public static ServiceSetting DedicatedServer(int index) =>
        new(TenantStorageSection, nameof(TenantStorageOptions.DedicatedServers), index.ToString(CultureInfo.InvariantCulture));

    /// <summary>The Api: the address (host and port, no login) of the dedicated server named <paramref name="server"/>.</summary>
    public static ServiceSetting DedicatedServerAddress(string server) =>
        new(TenantStorageSection, nameof(TenantStorageOptions.DedicatedServerAddresses), server);

    /// <summary>The Api: the domain under which each tenant has a subdomain (e.g. <c>app.example.com</c>); empty for none.</summary>
    public static readonly ServiceSetting RootDomain = new(TenancySection, "RootDomain");

    /// <summary>The Provisioner: the platform-admin client's secret.</summary>
    public static readonly ServiceSetting PlatformAdminClientSecret = new(PlatformAdminSection, "ClientSecret");

    /// <summary>The Provisioner: whether test runs may make provisioning fail on purpose.</summary>
    public static readonly ServiceSetting AllowFaultInjection = new(ProvisioningSection, "AllowFaultInjection");

    /// <summary>The Provisioner: the folder offboarded tenants' archives are kept in (the AppHost's data folder by default).</summary>
    public static readonly ServiceSetting ArchiveFolder = new(ArchivesSection, "Folder");

    /// <summary>The Api: how many replicas share each dedicated server's connection budget.</summary>
    public static readonly ServiceSetting ApiReplicas = new(CapacitySection, "ApiReplicas");

    /// <summary>The Api, for the benchmark only: the connection-string name of the shared database's superuser login.</summary>
    public const string PlainBaselineConnection = "plain-baseline";

    /// <summary>The Api: whether the benchmark's plain baseline endpoints are mapped.</summary>
    public static readonly ServiceSetting PlainEndpoints = new(BenchSection, "PlainEndpoints");
}

/// <summary>One setting a service reads: its configuration key and the environment variable that sets it.</summary>
public sealed class ServiceSetting(string section, params string[] keys)
{
    /// <summary>As configuration names it, e.g. <c>Bootstrap:AppPassword</c>.</summary>
    public string Key { get; } = ConfigurationPath.Combine([section, .. keys]);

    /// <summary>As an environment variable, e.g. <c>Bootstrap__AppPassword</c>.</summary>
    public string EnvironmentVariable => Key.Replace(ConfigurationPath.KeyDelimiter, "__", StringComparison.Ordinal);

    public override string ToString() => Key;
}
