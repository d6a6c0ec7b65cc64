using TieredTenancy.Tenancy.Hosting;

namespace TieredTenancy.Provisioner.Faults;

/// <summary>The <c>Provisioning</c> section (the AppHost sets it).</summary>
public sealed class ProvisioningOptions
{
    public const string SectionName = ServiceSettings.ProvisioningSection;

    /// <summary>Whether requests and operations may carry a fault plan (<see cref="FaultInjection"/>); test runs only.</summary>
    public bool AllowFaultInjection { get; set; }
}
