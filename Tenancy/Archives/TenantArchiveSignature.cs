using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;

namespace TieredTenancy.Tenancy.Archives;

/// <summary>
/// The signature of an archive's manifest (<c>manifest.sig</c>): its SHA-256 protected under the
/// platform's Data Protection key ring (the catalog's, shared by the Provisioner and every Api
/// replica). The manifest holds every file's SHA-256 and row count, so an edited file with its
/// hash and count recomputed in the manifest still fails: only the platform can sign a manifest.
/// </summary>
public sealed class TenantArchiveSignature(IDataProtectionProvider dataProtection)
{
    public const string EntryName = "manifest.sig";

    private readonly IDataProtector _protector = dataProtection.CreateProtector("TieredTenancy.TenantArchiveManifest.v1");

    public string Sign(ReadOnlySpan<byte> manifest) => Convert.ToBase64String(_protector.Protect(SHA256.HashData(manifest)));

    /// <summary>Whether <paramref name="signature"/> is the platform's signature of exactly these manifest bytes.</summary>
    public bool Verifies(ReadOnlySpan<byte> manifest, string signature)
    {
        try
        {
            var signed = _protector.Unprotect(Convert.FromBase64String(signature.Trim()));
            return CryptographicOperations.FixedTimeEquals(signed, SHA256.HashData(manifest));
        }
        catch (Exception exception) when (exception is CryptographicException or FormatException)
        {
            return false;
        }
    }
}
