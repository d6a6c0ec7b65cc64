using System.ComponentModel.DataAnnotations;
using TieredTenancy.Tenancy.Hosting;

namespace TieredTenancy.Bootstrap;

/// <summary>The <c>Bootstrap</c> section: the passwords the platform's login roles get (AppHost secret parameters).</summary>
public sealed class BootstrapOptions
{
    public const string SectionName = ServiceSettings.BootstrapSection;

    /// <summary>The catalog database on the main server (the registry), owned by the Provisioner's role.</summary>
    [Required, RegularExpression("^[a-z_][a-z0-9_]*$")]
    public string CatalogDatabase { get; set; } = "catalog";

    [Required(ErrorMessage = "Bootstrap:ProvisionerPassword is not set; the AppHost passes its 'provisioner-db-password' parameter.")]
    public string ProvisionerPassword { get; set; } = "";

    [Required(ErrorMessage = "Bootstrap:ResolverPassword is not set; the AppHost passes its 'resolver-db-password' parameter.")]
    public string ResolverPassword { get; set; } = "";

    [Required(ErrorMessage = "Bootstrap:AppPassword is not set; the AppHost passes its 'app-db-password' parameter.")]
    public string AppPassword { get; set; } = "";
}
