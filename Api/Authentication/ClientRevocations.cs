using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.JsonWebTokens;
using TieredTenancy.Tenancy.Identity;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Api.Authentication;

/// <summary>
/// The API clients whose earlier tokens this replica refuses (revoked: every token; rotated: its earlier secrets'),
/// held in memory so the check per request is one lookup, kept current by <see cref="ClientRevocationListener"/>.
/// A change older than the longest token lifetime is forgotten: every token issued before it has expired.
/// </summary>
public sealed class ClientRevocations(IServiceScopeFactory scopes)
{
    /// <summary>The first generation of a client's secret whose tokens are accepted; a revoked client has none.</summary>
    private readonly record struct Cutoff(int FirstValidGeneration, DateTimeOffset ChangedAt);

    // Copied on write (changes are rare), read without a lock.
    private volatile Dictionary<string, Cutoff> _cutoffs = new(StringComparer.Ordinal);
    private readonly Lock _writing = new();

    /// <summary>Whether the token was issued before its client was revoked, or for a secret since replaced.</summary>
    public bool Refuses(JsonWebToken token)
    {
        var cutoffs = _cutoffs;
        if (cutoffs.Count == 0 || !cutoffs.TryGetValue(token.Subject ?? "", out var cutoff))
        {
            return false;
        }
        return GenerationOf(token) < cutoff.FirstValidGeneration;
    }

    /// <summary>The generation of the secret the token was issued for; a token from before generations existed was issued for the first.</summary>
    public static int GenerationOf(JsonWebToken token) =>
        token.TryGetPayloadValue<int>(TenancyClaims.ClientGeneration, out var number) ? number
        : token.TryGetPayloadValue<string>(TenancyClaims.ClientGeneration, out var text) && int.TryParse(text, out number) ? number
        : 1;

    public int Count => _cutoffs.Count;

    /// <summary>Reads every client changed within the longest token lifetime, and forgets older changes.</summary>
    public async Task RefreshAllAsync(CancellationToken cancellationToken)
    {
        var since = Horizon();
        var changed = await ReadAsync(client => client.RevokedAt > since || client.RotatedAt > since, cancellationToken);
        Merge(changed, since);
    }

    /// <summary>Reads one client again: the Provisioner broadcast that it was revoked or rotated.</summary>
    public async Task RefreshAsync(string clientId, CancellationToken cancellationToken) =>
        Merge(await ReadAsync(client => client.ClientId == clientId, cancellationToken), Horizon());

    // Only these four columns: the Api's catalog role may read no other column of api_clients.
    private async Task<List<ClientChange>> ReadAsync(System.Linq.Expressions.Expression<Func<ApiClient, bool>> which, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var catalog = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
        return await catalog.ApiClients.AsNoTracking().Where(which).Where(client => client.RevokedAt != null || client.RotatedAt != null)
            .Select(client => new ClientChange(client.ClientId, client.Generation, client.RotatedAt, client.RevokedAt))
            .ToListAsync(cancellationToken);
    }

    private sealed record ClientChange(string ClientId, int Generation, DateTimeOffset? RotatedAt, DateTimeOffset? RevokedAt);

    // A revocation or rotation only ever raises a client's cutoff, so merging keeps the higher one:
    // a refresh that read the catalog before a broadcast's read cannot undo it.
    private void Merge(IEnumerable<ClientChange> clients, DateTimeOffset since)
    {
        lock (_writing)
        {
            var next = new Dictionary<string, Cutoff>(_cutoffs.Where(pair => pair.Value.ChangedAt > since), StringComparer.Ordinal);
            foreach (var client in clients)
            {
                var cutoff = client.RevokedAt is { } revokedAt
                    ? new Cutoff(int.MaxValue, revokedAt)
                    : new Cutoff(client.Generation, client.RotatedAt!.Value);
                if (cutoff.ChangedAt > since && (!next.TryGetValue(client.ClientId, out var known) || cutoff.FirstValidGeneration > known.FirstValidGeneration))
                {
                    next[client.ClientId] = cutoff;
                }
            }
            _cutoffs = next;
        }
    }

    // Tokens live at most TokenLifetime.Max; a minute more covers the clocks of the two services.
    private static DateTimeOffset Horizon() => DateTimeOffset.UtcNow - TokenLifetime.Max - TimeSpan.FromMinutes(1);
}
