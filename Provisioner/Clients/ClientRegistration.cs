using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;
using TieredTenancy.Provisioner.Audit;
using TieredTenancy.Provisioner.Broadcast;
using TieredTenancy.Provisioner.Tenants;
using TieredTenancy.Tenancy.Clients;
using TieredTenancy.Tenancy.Http;
using TieredTenancy.Tenancy.Identity;
using TieredTenancy.Tenancy.Registry;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace TieredTenancy.Provisioner.Clients;

/// <summary>
/// API clients: an OpenIddict application (which keeps the secret hashed) and a registry row
/// saying whose client it is, with which role and which secret generation, written in one
/// transaction with the audit event. A revocation or rotation is broadcast once committed, so
/// every Api replica refuses the client's earlier tokens.
/// </summary>
public sealed class ClientRegistration(CatalogDbContext catalog, IOpenIddictApplicationManager applications, ControlPlaneAudit audit, RegistryBroadcast broadcast)
{
    public const string PlatformAdminClientId = "platform-admin";

    /// <summary>Creates a tenant client; returns its id and its secret, which is shown this once and stored only hashed.</summary>
    public async Task<ClientSecretResponse> CreateTenantClientAsync(Guid tenantId, string name, string role, CancellationToken cancellationToken)
    {
        var clientId = $"tc_{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12))}";
        var secret = ClientSecrets.New(1);
        await InTransactionAsync(async () =>
        {
            await applications.CreateAsync(Descriptor(clientId, secret, name), cancellationToken);
            catalog.ApiClients.Add(new ApiClient { ClientId = clientId, TenantId = tenantId, Name = name, Role = role });
            audit.Record("client.create", tenantId, $"client={clientId} role={role}");
        }, cancellationToken);
        return new ClientSecretResponse(clientId, secret);
    }

    /// <summary>The tenant's clients, revoked ones included (with when), oldest first.</summary>
    public async Task<PagedList<ClientResponse>> ListAsync(Guid tenantId, PageRequest page, CancellationToken cancellationToken)
    {
        var query = catalog.ApiClients.AsNoTracking().Where(client => client.TenantId == tenantId);
        var total = await query.CountAsync(cancellationToken);
        var items = await query.OrderBy(client => client.CreatedAt).ThenBy(client => client.ClientId).Skip(page.Skip).Take(page.PageSize)
            .ToListAsync(cancellationToken);
        return new PagedList<ClientResponse>(items.Select(ClientResponse.From).ToList(), page.Page, page.PageSize, total);
    }

    /// <summary>The tenant's client <paramref name="clientId"/>; none for another tenant's.</summary>
    public Task<ApiClient?> FindAsync(Guid tenantId, string clientId, CancellationToken cancellationToken) =>
        catalog.ApiClients.SingleOrDefaultAsync(client => client.ClientId == clientId && client.TenantId == tenantId, cancellationToken);

    /// <summary>
    /// Revokes the client: its OpenIddict application goes (no token is issued to it again), its
    /// row says when, and every Api replica refuses the tokens it already has. Revoking it again changes nothing.
    /// </summary>
    public async Task RevokeAsync(ApiClient client, CancellationToken cancellationToken)
    {
        if (client.IsRevoked)
        {
            return;
        }
        await InTransactionAsync(async () =>
        {
            if (await applications.FindByClientIdAsync(client.ClientId, cancellationToken) is { } application)
            {
                await applications.DeleteAsync(application, cancellationToken);
            }
            client.RevokedAt = DateTimeOffset.UtcNow;
            catalog.ApiClients.Update(client);
            audit.Record("client.revoke", client.TenantId, $"client={client.ClientId} role={client.Role}");
        }, cancellationToken);
        await broadcast.ClientChangedAsync(client.ClientId);
    }

    /// <summary>
    /// Gives the client a new secret, shown this once: the old one gets no token from now on, and
    /// the tokens issued for it are refused on every replica (a rotation is what one does when a
    /// secret may have leaked, and a token got with a leaked secret has leaked as much).
    /// </summary>
    public async Task<ClientSecretResponse> RotateAsync(ApiClient client, CancellationToken cancellationToken)
    {
        var generation = client.Generation + 1;
        var secret = ClientSecrets.New(generation);
        await InTransactionAsync(async () =>
        {
            var application = await applications.FindByClientIdAsync(client.ClientId, cancellationToken)
                ?? throw new InvalidOperationException($"The client {client.ClientId} has a registry row but no OpenIddict application.");
            await applications.UpdateAsync(application, secret, cancellationToken);
            (client.Generation, client.RotatedAt) = (generation, DateTimeOffset.UtcNow);
            catalog.ApiClients.Update(client);
            audit.Record("client.rotate", client.TenantId, $"client={client.ClientId} generation={generation}");
        }, cancellationToken);
        await broadcast.ClientChangedAsync(client.ClientId);
        return new ClientSecretResponse(client.ClientId, secret);
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
        // Every replica refuses the clients' tokens from now on, not when they expire.
        foreach (var client in clients)
        {
            await broadcast.ClientChangedAsync(client.ClientId);
        }
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

    /// <summary>
    /// Runs <paramref name="change"/> and saves it in one transaction with OpenIddict's own writes
    /// (same context). Aspire's EF integration retries transient failures; a transaction must then
    /// run inside its strategy.
    /// </summary>
    private Task InTransactionAsync(Func<Task> change, CancellationToken cancellationToken) =>
        catalog.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            // A retried attempt starts from nothing pending: the change adds its rows again.
            catalog.ChangeTracker.Clear();
            await using var transaction = await catalog.Database.BeginTransactionAsync(cancellationToken);
            await change();
            await catalog.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        });

    private static OpenIddictApplicationDescriptor Descriptor(string clientId, string secret, string name) => new()
    {
        ClientId = clientId,
        ClientSecret = secret,
        ClientType = ClientTypes.Confidential,
        DisplayName = name,
        Permissions = { Permissions.Endpoints.Token, Permissions.GrantTypes.ClientCredentials },
    };
}
