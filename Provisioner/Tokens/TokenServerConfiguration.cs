using Microsoft.Extensions.Options;
using OpenIddict.Server;

namespace TieredTenancy.Provisioner.Tokens;

/// <summary>Hands OpenIddict the stored signing key and the fixed issuer.</summary>
public sealed class SigningKeyConfiguration(SigningKeyStore keys, IOptions<TokenOptions> tokens) : IConfigureOptions<OpenIddictServerOptions>
{
    public void Configure(OpenIddictServerOptions options)
    {
        options.SigningCredentials.Add(keys.Credentials);
        options.Issuer = tokens.Value.Issuer;
    }
}
