using System.ComponentModel.DataAnnotations;
using TieredTenancy.Tenancy.Hosting;

namespace TieredTenancy.Api.Tenants.Naming;

/// <summary>The <c>Tenancy</c> section: how tenants are addressed by host name.</summary>
public sealed class TenantDomainOptions
{
    public const string SectionName = ServiceSettings.TenancySection;

    /// <summary>The domain under which each tenant has a subdomain (e.g. <c>app.example.com</c>); empty for none.</summary>
    [RegularExpression(@"^([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$",
        ErrorMessage = "Tenancy:RootDomain must be a host name such as app.example.com, or empty.")]
    public string RootDomain { get; set; } = "";
}
