using System.ComponentModel.DataAnnotations;
using TieredTenancy.Tenancy.Identity;

namespace TieredTenancy.Api.Authentication;

/// <summary>The <c>Tokens</c> section: whose access tokens the Api accepts, and how often it reads revoked clients again.</summary>
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

    /// <summary>
    /// How often every replica reads the revoked and rotated clients again, besides the broadcast of
    /// each change: how long a replica that missed a broadcast may still accept a revoked client's tokens.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan RevocationRefreshInterval { get; set; } = TimeSpan.FromSeconds(10);
}
