using System.ComponentModel.DataAnnotations;
using TieredTenancy.Tenancy.Hosting;

namespace TieredTenancy.Provisioner.Clients;

/// <summary>The <c>PlatformAdmin</c> section: the platform-admin client's secret, from the AppHost's secret parameter.</summary>
public sealed class PlatformAdminOptions
{
    public const string SectionName = ServiceSettings.PlatformAdminSection;

    [Required(ErrorMessage = "PlatformAdmin:ClientSecret is not set; the AppHost passes its 'platform-admin-secret' parameter.")]
    public string ClientSecret { get; set; } = "";
}
