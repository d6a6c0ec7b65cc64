namespace TieredTenancy.Tenancy.Hosting;

/// <summary>The <c>Provisioning</c> section, as every service reads it (the AppHost sets it for all of them).</summary>
public sealed class FaultInjectionOptions
{
    public const string SectionName = ServiceSettings.ProvisioningSection;

    /// <summary>
    /// Test runs only: the Provisioner accepts fault plans (<c>X-Fault-Injection</c>) and the Api maps
    /// its slow query and admission log. Off in every other run.
    /// </summary>
    public bool AllowFaultInjection { get; set; }
}
