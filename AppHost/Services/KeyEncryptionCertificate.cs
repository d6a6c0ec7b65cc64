using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Aspire.Hosting.Publishing;
using TieredTenancy.AppHost.Infrastructure;

namespace TieredTenancy.AppHost.Services;

/// <summary>
/// The certificate that encrypts the Data Protection key ring in the catalog: generated on the first
/// run and kept in the AppHost's user secrets like the passwords (fresh for every ephemeral run).
/// </summary>
public static class KeyEncryptionCertificate
{
    public const string ParameterName = "key-encryption-certificate";

    public static IResourceBuilder<ParameterResource> AddKeyEncryptionCertificate(this IDistributedApplicationBuilder builder) =>
        builder.AddParameter(ParameterName, new SelfSignedCertificateDefault("TieredTenancy key encryption"), secret: true,
            persist: !builder.Configuration.GetValue<bool>($"{InfrastructureOptions.SectionName}:{nameof(InfrastructureOptions.Ephemeral)}"));

    /// <summary>A new self-signed RSA certificate with its private key, as base64 PKCS#12.</summary>
    private sealed class SelfSignedCertificateDefault(string subject) : ParameterDefault
    {
        public override string GetDefaultValue()
        {
            using var rsa = RSA.Create(3072);
            var request = new CertificateRequest($"CN={subject}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyEncipherment, critical: true));
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(50));
            return Convert.ToBase64String(certificate.Export(X509ContentType.Pkcs12));
        }

        // A deployment supplies its own certificate (from its secret store); nothing is generated there.
        public override void WriteToManifest(ManifestPublishingContext context)
        {
        }
    }
}
