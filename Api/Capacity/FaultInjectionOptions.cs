using TieredTenancy.Tenancy.Hosting;

namespace TieredTenancy.Api.Capacity;

/// <summary>The <c>Provisioning</c> section as the Api reads it (the AppHost sets it for every service).</summary>
public sealed class FaultInjectionOptions
{
    public const string SectionName = ServiceSettings.ProvisioningSection;

    /// <summary>Test runs only: maps the slow query (see <see cref="SlowQueryEndpoint"/>).</summary>
    public bool AllowFaultInjection { get; set; }
}
