using System.ComponentModel.DataAnnotations;

namespace TieredTenancy.Api.Clients;

/// <summary>The <c>ControlPlane</c> section: where the Provisioner is, for the tenant's self-service clients.</summary>
public sealed class ControlPlaneOptions
{
    public const string SectionName = "ControlPlane";

    /// <summary>The Provisioner's address, through service discovery.</summary>
    [Required, Url]
    public string Address { get; set; } = "http://provisioner";
}
