namespace TieredTenancy.Tenancy.Registry;

/// <summary>
/// The token signing key, kept in the catalog (encrypted with Data Protection) so tokens survive a
/// Provisioner restart and every instance signs with the same key.
/// </summary>
public sealed class SigningKey
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>The RSA private key (PKCS#8), protected with Data Protection.</summary>
    public required string ProtectedKey { get; init; }
}
