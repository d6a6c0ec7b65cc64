using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Tenancy.Clients;

/// <summary>An API client as the control plane and the tenant's admins see it: never its secret, nor the secret's hash.</summary>
public sealed record ClientResponse(string ClientId, string Name, string Role, DateTimeOffset CreatedAt, DateTimeOffset? RotatedAt, DateTimeOffset? RevokedAt)
{
    public static ClientResponse From(ApiClient client) =>
        new(client.ClientId, client.Name, client.Role, client.CreatedAt, client.RotatedAt, client.RevokedAt);
}

/// <summary>A client's id and its new secret (made or rotated): the secret is stored only hashed and never shown again.</summary>
public sealed record ClientSecretResponse(string ClientId, string ClientSecret);
