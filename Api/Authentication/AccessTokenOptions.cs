using System.ComponentModel.DataAnnotations;
using TieredTenancy.Tenancy.Identity;

namespace TieredTenancy.Api.Authentication;

/// <summary>The <c>Tokens</c> section: whose access tokens the Api accepts.</summary>
public sealed class AccessTokenOptions
{
    public const string SectionName = "Tokens";

    /// <summary>The issuer the Provisioner writes into every token, whatever address it was reached at.</summary>
    [Required, Url]
    public string Issuer { get; set; } = "http://provisioner/";

    /// <summary>The Provisioner's OpenID discovery document, reached through service discovery.</summary>
    [Required, Url]
    public string MetadataAddress { get; set; } = "http://provisioner/.well-known/openid-configuration";

    [Required]
    public string Audience { get; set; } = TenancyClaims.Audience;
}
