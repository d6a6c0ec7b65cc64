using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.IdentityModel.Tokens;
using Npgsql;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Tokens;

/// <summary>
/// The RSA key tokens are signed with: created once, kept in the catalog encrypted with Data
/// Protection, so tokens stay valid across restarts and every Provisioner instance signs alike. The
/// key OpenIddict encrypts what it hands itself with (authorization codes, refresh tokens) is derived
/// from it, so every instance decrypts what another encrypted.
/// </summary>
public sealed class SigningKeyStore(IServiceScopeFactory scopes, IDataProtectionProvider dataProtection)
{
    private const string Purpose = "TieredTenancy.TokenSigningKey.v1";
    private static readonly byte[] EncryptionLabel = "TieredTenancy.TokenEncryptionKey.v1"u8.ToArray();
    private readonly Lazy<(SigningCredentials Signing, EncryptingCredentials Encrypting)> _credentials =
        new(() => LoadOrCreate(scopes, dataProtection.CreateProtector(Purpose)));

    public SigningCredentials Credentials => _credentials.Value.Signing;

    public EncryptingCredentials EncryptionCredentials => _credentials.Value.Encrypting;

    /// <summary>
    /// HKDF of the stored private key under a label of its own: the same on every instance, no second
    /// secret to store or rotate, and neither key tells anything of the other.
    /// </summary>
    public static EncryptingCredentials EncryptionCredentialsOf(byte[] privateKey, string keyId) =>
        new(new SymmetricSecurityKey(HKDF.DeriveKey(HashAlgorithmName.SHA256, privateKey, 32, salt: [], info: EncryptionLabel)) { KeyId = $"{keyId}-enc" },
            SecurityAlgorithms.Aes256KW, SecurityAlgorithms.Aes256CbcHmacSha512);

    private static (SigningCredentials, EncryptingCredentials) LoadOrCreate(IServiceScopeFactory scopes, IDataProtector protector)
    {
        using var scope = scopes.CreateScope();
        var catalog = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
        var stored = catalog.SigningKeys.OrderBy(key => key.CreatedAt).FirstOrDefault();
        if (stored is null)
        {
            using var fresh = RSA.Create(2048);
            catalog.SigningKeys.Add(new SigningKey { ProtectedKey = protector.Protect(Convert.ToBase64String(fresh.ExportPkcs8PrivateKey())) });
            try
            {
                catalog.SaveChanges();
            }
            catch (Microsoft.EntityFrameworkCore.DbUpdateException exception) when (exception.InnerException is PostgresException)
            {
                // Another instance stored one at the same moment; the oldest wins below.
            }
            catalog.ChangeTracker.Clear();
            stored = catalog.SigningKeys.OrderBy(key => key.CreatedAt).First();
        }

        var privateKey = Convert.FromBase64String(protector.Unprotect(stored.ProtectedKey));
        var rsa = RSA.Create();
        rsa.ImportPkcs8PrivateKey(privateKey, out _);
        var keyId = stored.Id.ToString("N");
        return (new SigningCredentials(new RsaSecurityKey(rsa) { KeyId = keyId }, SecurityAlgorithms.RsaSha256), EncryptionCredentialsOf(privateKey, keyId));
    }
}
