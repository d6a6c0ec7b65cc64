using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using TieredTenancy.Tenancy.Hosting;

namespace TieredTenancy.Tenancy.Registry;

/// <summary>
/// The Data Protection key ring both services share, kept in the catalog and encrypted there with a
/// key-encryption certificate the AppHost generates (a secret parameter, kept in its user secrets):
/// a copy of the catalog alone decrypts neither tenant credentials nor the token signing key.
/// Retired keys stay in the ring (Data Protection never deletes them), so what an older key
/// protected stays readable after rotation.
/// </summary>
public static class CatalogKeyRing
{
    /// <param name="readOnly">
    /// The Api only reads the ring: its catalog role cannot write, and new keys are the
    /// Provisioner's to make (it makes them ahead of expiry, so readers always find the current key).
    /// </param>
    public static IDataProtectionBuilder AddCatalogKeyRing(this IServiceCollection services, IConfiguration configuration, bool readOnly)
    {
        var certificate = LoadCertificate(configuration[ServiceSettings.KeyEncryptionCertificate.Key]);
        var builder = services.AddDataProtection()
            .SetApplicationName(TenantConnectionProtection.ApplicationName)
            .PersistKeysToDbContext<CatalogDbContext>()
            .ProtectKeysWithCertificate(certificate)
            .UnprotectKeysWithAnyCertificate(certificate);
        return readOnly ? builder.DisableAutomaticKeyGeneration() : builder;
    }

    /// <summary>The certificate from its base64 PKCS#12 form, with a message that says where it comes from when missing or unreadable.</summary>
    public static X509Certificate2 LoadCertificate(string? base64Pkcs12)
    {
        if (string.IsNullOrWhiteSpace(base64Pkcs12))
        {
            throw new InvalidOperationException(
                $"{ServiceSettings.KeyEncryptionCertificate.Key} is not set; the AppHost passes its 'key-encryption-certificate' parameter "
                + "(a base64 PKCS#12 certificate with its private key), which encrypts the Data Protection key ring in the catalog.");
        }
        try
        {
            var certificate = X509CertificateLoader.LoadPkcs12(Convert.FromBase64String(base64Pkcs12), password: null, X509KeyStorageFlags.EphemeralKeySet);
            return certificate.HasPrivateKey
                ? certificate
                : throw new InvalidOperationException($"{ServiceSettings.KeyEncryptionCertificate.Key} holds a certificate without its private key.");
        }
        catch (Exception exception) when (exception is FormatException or CryptographicException)
        {
            throw new InvalidOperationException($"{ServiceSettings.KeyEncryptionCertificate.Key} is not a base64 PKCS#12 certificate: {exception.Message}", exception);
        }
    }
}
