using Microsoft.Extensions.Options;
using OpenIddict.Server;

namespace TieredTenancy.Provisioner.Tokens;

/// <summary>Hands OpenIddict the stored signing key and the encryption key derived from it, the fixed issuer and the configured token lifetime.</summary>
public sealed class TokenServerConfiguration(SigningKeyStore keys, IOptions<TokenOptions> tokens) : IConfigureOptions<OpenIddictServerOptions>
{
    public void Configure(OpenIddictServerOptions options)
    {
        options.SigningCredentials.Add(keys.Credentials);
        options.EncryptionCredentials.Add(keys.EncryptionCredentials);
        options.Issuer = tokens.Value.Issuer;
        options.AccessTokenLifetime = tokens.Value.AccessTokenLifetime;
    }
}
