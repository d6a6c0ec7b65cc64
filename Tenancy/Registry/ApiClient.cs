using TieredTenancy.Tenancy.Identity;

namespace TieredTenancy.Tenancy.Registry;

/// <summary>
/// A client that may ask for tokens. The secret itself is kept hashed by OpenIddict's application
/// store; this row says whose client it is and with which role.
/// </summary>
public sealed class ApiClient
{
    public required string ClientId { get; init; }

    public Guid? TenantId { get; init; }

    public required string Name { get; init; }

    /// <summary>One of <see cref="TenancyRoles"/>.</summary>
    public required string Role { get; init; }

    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;
}
