using Microsoft.Extensions.Options;
using OpenIddict.Server;

namespace TieredTenancy.Provisioner.Tokens;

/// <summary>Hands OpenIddict the stored signing key, the fixed issuer and the configured token lifetime.</summary>
public sealed class TokenServerConfiguration(SigningKeyStore keys, IOptions<TokenOptions> tokens) : IConfigureOptions<OpenIddictServerOptions>
{
    public void Configure(OpenIddictServerOptions options)
    {
        options.SigningCredentials.Add(keys.Credentials);
        options.Issuer = tokens.Value.Issuer;
        options.AccessTokenLifetime = tokens.Value.AccessTokenLifetime;
    }
}
