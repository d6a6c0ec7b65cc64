using System.Globalization;
using System.Security.Cryptography;

namespace TieredTenancy.Provisioner.Clients;

/// <summary>
/// A client secret names the generation it belongs to: <c>{generation}.{256 random bits}</c>. The
/// whole string is what is hashed, so the generation cannot be changed without the secret
/// failing; the token endpoint writes the generation of the secret it was shown into the token.
/// A request checked against the old secret just before a rotation committed thus still gets a
/// token of the old generation, which the Api refuses.
/// </summary>
public static class ClientSecrets
{
    public static string New(int generation) =>
        $"{generation.ToString(CultureInfo.InvariantCulture)}.{Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_')}";

    /// <summary>The generation a secret names; 1 for a secret without one (the platform admin's, or one made before rotation existed).</summary>
    public static int GenerationOf(string? secret)
    {
        var dot = secret?.IndexOf('.') ?? -1;
        return dot > 0 && int.TryParse(secret.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var generation) && generation > 0
            ? generation
            : 1;
    }
}
