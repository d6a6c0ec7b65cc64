using TieredTenancy.Tenancy.Identity;

namespace TieredTenancy.Tenancy.Registry;

/// <summary>
/// A client that may ask for tokens. The secret itself is kept hashed by OpenIddict's application
/// store; this row says whose client it is, with which role, which secret is the current one and
/// whether it was revoked. The Api reads the revoked and rotated rows to refuse tokens issued before.
/// </summary>
public sealed class ApiClient
{
    public required string ClientId { get; init; }

    public Guid? TenantId { get; init; }

    public required string Name { get; init; }

    /// <summary>One of <see cref="TenancyRoles"/>.</summary>
    public required string Role { get; init; }

    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>
    /// Which secret is current: 1 for the first, one more per rotation. Each token carries the
    /// generation of the secret it was issued for (<see cref="TenancyClaims.ClientGeneration"/>),
    /// so a rotation refuses every token of the earlier secrets.
    /// </summary>
    public int Generation { get; set; } = 1;

    /// <summary>When the secret was last replaced; none if it never was.</summary>
    public DateTimeOffset? RotatedAt { get; set; }

    /// <summary>When the client was revoked: it gets no token, and its tokens are refused. The row stays, for the record.</summary>
    public DateTimeOffset? RevokedAt { get; set; }

    public bool IsRevoked => RevokedAt is not null;
}
