using System.Security.Cryptography;
using Aspire.Hosting;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using TieredTenancy.Tests.Provisioning;

namespace TieredTenancy.Tests.TenantPlane;

/// <summary>Signs tokens with the Provisioner's real key (or a stranger's), so tests can present every kind of bad token.</summary>
public sealed class TokenMint(RSA key, string keyId)
{
    public static async Task<TokenMint> FromCatalogAsync(DistributedApplication app)
    {
        var (pkcs8, keyId) = await CatalogSecrets.SigningKeyAsync(app);
        var rsa = RSA.Create();
        rsa.ImportPkcs8PrivateKey(pkcs8, out _);
        return new TokenMint(rsa, keyId);
    }

    public string Mint(Guid? tenantId, string role = "member", string audience = "tieredtenancy", string issuer = "http://provisioner/",
        DateTime? expires = null, RSA? signWith = null)
    {
        var claims = new Dictionary<string, object> { ["sub"] = "minted-client", ["role"] = role };
        if (tenantId is { } id)
        {
            claims["tenant_id"] = id.ToString();
        }
        var notAfter = expires ?? DateTime.UtcNow.AddMinutes(10);
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Claims = claims,
            IssuedAt = notAfter.AddHours(-1),
            NotBefore = notAfter.AddHours(-1),
            Expires = notAfter,
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(signWith ?? key) { KeyId = keyId }, SecurityAlgorithms.RsaSha256),
        });
    }

    /// <summary>An unsigned token (<c>alg: none</c>) claiming the given tenant.</summary>
    public static string Unsigned(Guid tenantId)
    {
        static string Part(string json) => Base64UrlEncoder.Encode(json);
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        return $"{Part("{\"alg\":\"none\",\"typ\":\"JWT\"}")}.{Part($"{{\"sub\":\"x\",\"role\":\"member\",\"tenant_id\":\"{tenantId}\",\"aud\":\"tieredtenancy\",\"iss\":\"http://provisioner/\",\"exp\":{now + 600}}}")}.";
    }
}
