using System.ComponentModel.DataAnnotations;

namespace TieredTenancy.Provisioner.Tokens;

/// <summary>The <c>Tokens</c> section: what the issued access tokens say about their issuer.</summary>
public sealed class TokenOptions
{
    public const string SectionName = "Tokens";

    /// <summary>The issuer written into tokens; fixed, so every caller and validator agrees whatever address it used.</summary>
    [Required]
    public Uri Issuer { get; set; } = new("http://provisioner/");
}
