using System.ComponentModel.DataAnnotations;
using TieredTenancy.Tenancy.Identity;

namespace TieredTenancy.Provisioner.Tokens;

/// <summary>The <c>Tokens</c> section: what the issued access tokens say and how long they live, and how hard a client id may be guessed at.</summary>
public sealed class TokenOptions
{
    public const string SectionName = "Tokens";

    /// <summary>The issuer written into tokens; fixed, so every caller and validator agrees whatever address it used.</summary>
    [Required]
    public Uri Issuer { get; set; } = new("http://provisioner/");

    /// <summary>How long an access token is valid (<c>expires_in</c>): one hour by default, at most a day (see <see cref="TokenLifetime"/>).</summary>
    [Range(typeof(TimeSpan), TokenLifetime.MinText, TokenLifetime.MaxText,
        ErrorMessage = "Tokens:AccessTokenLifetime must be between " + TokenLifetime.MinText + " and " + TokenLifetime.MaxText + ".")]
    public TimeSpan AccessTokenLifetime { get; set; } = TokenLifetime.Default;

    /// <summary>
    /// Refused token requests (unknown client, wrong secret) one client id may make within
    /// <see cref="FailureWindow"/>; past them every request for that id answers 429 until the window ends.
    /// </summary>
    [Range(1, 1000)]
    public int MaxFailedRequests { get; set; } = 10;

    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan FailureWindow { get; set; } = TimeSpan.FromMinutes(1);
}
