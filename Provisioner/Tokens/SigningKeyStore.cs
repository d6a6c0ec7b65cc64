using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.IdentityModel.Tokens;
using Npgsql;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Tokens;

/// <summary>
/// The RSA key tokens are signed with: created once, kept in the catalog encrypted with Data
/// Protection, so tokens stay valid across restarts and every Provisioner instance signs alike.
/// </summary>
public sealed class SigningKeyStore(IServiceScopeFactory scopes, IDataProtectionProvider dataProtection)
{
    private const string Purpose = "TieredTenancy.TokenSigningKey.v1";
    private readonly Lazy<SigningCredentials> _credentials = new(() => LoadOrCreate(scopes, dataProtection.CreateProtector(Purpose)));

    public SigningCredentials Credentials => _credentials.Value;

    private static SigningCredentials LoadOrCreate(IServiceScopeFactory scopes, IDataProtector protector)
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

        var rsa = RSA.Create();
        rsa.ImportPkcs8PrivateKey(Convert.FromBase64String(protector.Unprotect(stored.ProtectedKey)), out _);
        var key = new RsaSecurityKey(rsa) { KeyId = stored.Id.ToString("N") };
        return new SigningCredentials(key, SecurityAlgorithms.RsaSha256);
    }
}
