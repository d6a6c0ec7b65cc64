using System.Globalization;

namespace TieredTenancy.Tenancy.Identity;

/// <summary>
/// How long an access token may live. The Provisioner issues none longer than <see cref="Max"/>,
/// so the Api need remember a revoked or rotated client only that long: after it, every token
/// issued before the change has expired.
/// </summary>
public static class TokenLifetime
{
    public const string MinText = "00:01:00";
    public const string MaxText = "1.00:00:00";

    public static readonly TimeSpan Default = TimeSpan.FromHours(1);

    public static readonly TimeSpan Max = TimeSpan.Parse(MaxText, CultureInfo.InvariantCulture);
}
