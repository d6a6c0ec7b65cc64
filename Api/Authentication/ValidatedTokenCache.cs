using Microsoft.Extensions.Caching.Memory;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace TieredTenancy.Api.Authentication;

/// <summary>
/// Checking a token's RSA signature on every request is a large share of its CPU, and a client presents the same token
/// for up to an hour: validated once, the result is reused for that token (five minutes at most). Revocation and
/// whether the tenant is served can change meanwhile, so they are still checked on every request.
/// </summary>
public sealed class ValidatedTokenCache(MemoryCache cache, ClientRevocations revocations) : JsonWebTokenHandler
{
    private static readonly TimeSpan MaxReuse = TimeSpan.FromMinutes(5);

    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        if (!cache.TryGetValue(token, out TokenValidationResult? result) || result is null)
        {
            result = await base.ValidateTokenAsync(token, validationParameters);
            if (result.IsValid && result.SecurityToken is JsonWebToken fresh)
            {
                var until = new DateTimeOffset(fresh.ValidTo, TimeSpan.Zero);
                var reuse = DateTimeOffset.UtcNow + MaxReuse < until ? DateTimeOffset.UtcNow + MaxReuse : until;
                if (reuse > DateTimeOffset.UtcNow)
                {
                    cache.Set(token, result, new MemoryCacheEntryOptions { AbsoluteExpiration = reuse, Size = 1 });
                }
            }
        }
        return result.IsValid && result.SecurityToken is JsonWebToken jwt && revocations.Refuses(jwt) ? Revoked() : result;
    }

    // Fresh each time: the authentication handler keeps the exception of a failed result.
    private static TokenValidationResult Revoked() => new()
    {
        IsValid = false,
        Exception = new SecurityTokenValidationException("The token's client was revoked, or the secret it was issued for was replaced."),
    };
}
