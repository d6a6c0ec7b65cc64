using Microsoft.Extensions.Caching.Memory;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace TieredTenancy.Api.Authentication;

/// <summary>
/// A client presents the same access token for up to an hour; checking its RSA signature on every
/// request is a large share of a request's CPU. This handler validates a token once and reuses the
/// result for that exact token string until the token expires (never longer than five minutes).
/// Tokens are stateless, so nothing that validation could notice changes in between; what can
/// change (a tenant suspended) is checked on every request from the registry.
/// </summary>
public sealed class ValidatedTokenCache(MemoryCache cache) : JsonWebTokenHandler
{
    private static readonly TimeSpan MaxReuse = TimeSpan.FromMinutes(5);

    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        if (cache.TryGetValue(token, out TokenValidationResult? known) && known is not null)
        {
            return known;
        }
        var result = await base.ValidateTokenAsync(token, validationParameters);
        if (result.IsValid && result.SecurityToken is JsonWebToken jwt)
        {
            var until = new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero);
            var reuse = DateTimeOffset.UtcNow + MaxReuse < until ? DateTimeOffset.UtcNow + MaxReuse : until;
            if (reuse > DateTimeOffset.UtcNow)
            {
                cache.Set(token, result, new MemoryCacheEntryOptions { AbsoluteExpiration = reuse, Size = 1 });
            }
        }
        return result;
    }
}
