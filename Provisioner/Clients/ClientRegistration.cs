using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;
using TieredTenancy.Tenancy.Identity;
using TieredTenancy.Tenancy.Registry;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace TieredTenancy.Provisioner.Clients;

/// <summary>
/// API clients: an OpenIddict application (which keeps the secret hashed) and a registry row
/// saying whose client it is and with which role, written in one transaction.
/// </summary>
public sealed class ClientRegistration(CatalogDbContext catalog, IOpenIddictApplicationManager applications)
{
    public const string PlatformAdminClientId = "platform-admin";

    /// <summary>Creates a tenant client; returns its id and its secret, which is shown this once and stored only hashed.</summary>
    public async Task<(string ClientId, string ClientSecret)> CreateTenantClientAsync(Guid tenantId, string name, string role, CancellationToken cancellationToken)
    {
        var clientId = $"tc_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12))}";
        var secret = NewSecret();
        // Aspire's EF integration retries transient failures; a transaction must then run inside its strategy.
        await catalog.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            catalog.ChangeTracker.Clear();
            await using var transaction = await catalog.Database.BeginTransactionAsync(cancellationToken);
            await applications.CreateAsync(Descriptor(clientId, secret, name), cancellationToken);
            catalog.ApiClients.Add(new ApiClient { ClientId = clientId, TenantId = tenantId, Name = name, Role = role });
            await catalog.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        });
        return (clientId, secret);
    }

    /// <summary>Removes every API client of the tenant (the OpenIddict application and the registry row): none can get a token again.</summary>
    public async Task<int> RevokeAllAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        var clients = await catalog.ApiClients.Where(client => client.TenantId == tenantId).ToListAsync(cancellationToken);
        foreach (var client in clients)
        {
            if (await applications.FindByClientIdAsync(client.ClientId, cancellationToken) is { } application)
            {
                await applications.DeleteAsync(application, cancellationToken);
            }
            catalog.ApiClients.Remove(client);
        }
        await catalog.SaveChangesAsync(cancellationToken);
        return clients.Count;
    }

    /// <summary>The platform-admin client, with the secret the AppHost gives; updated when that secret changes.</summary>
    public async Task EnsurePlatformAdminAsync(string secret, CancellationToken cancellationToken)
    {
        var descriptor = Descriptor(PlatformAdminClientId, secret, "Platform administrator");
        var existing = await applications.FindByClientIdAsync(PlatformAdminClientId, cancellationToken);
        if (existing is null)
        {
            await applications.CreateAsync(descriptor, cancellationToken);
        }
        else if (!await applications.ValidateClientSecretAsync(existing, secret, cancellationToken))
        {
            await applications.UpdateAsync(existing, descriptor, cancellationToken);
        }
        if (!await catalog.ApiClients.AnyAsync(client => client.ClientId == PlatformAdminClientId, cancellationToken))
        {
            catalog.ApiClients.Add(new ApiClient { ClientId = PlatformAdminClientId, Name = "Platform administrator", Role = TenancyRoles.PlatformAdmin });
            await catalog.SaveChangesAsync(cancellationToken);
        }
    }

    private static OpenIddictApplicationDescriptor Descriptor(string clientId, string secret, string name) => new()
    {
        ClientId = clientId,
        ClientSecret = secret,
        ClientType = ClientTypes.Confidential,
        DisplayName = name,
        Permissions = { Permissions.Endpoints.Token, Permissions.GrantTypes.ClientCredentials },
    };

    private static string NewSecret() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
