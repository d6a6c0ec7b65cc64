using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using TieredTenancy.Tenancy.Hosting;
using TieredTenancy.Tenancy.Identity;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Api.Authentication;

/// <summary>
/// Access tokens are validated against the Provisioner's published keys (OpenID discovery and
/// JWKS), fetched through service discovery: RS256 only (so <c>alg: none</c> and HMAC tricks
/// fail), the platform's audience, the fixed issuer, a short clock skew; and never a token of a
/// revoked client, or of a secret since replaced.
/// </summary>
public static class TokenValidation
{
    public static IHostApplicationBuilder AddTokenValidation(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<AccessTokenOptions>(AccessTokenOptions.SectionName);
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        builder.Services.AddSingleton<ClientRevocations>();
        // The feed before the listener: its subscriptions come before the listener's first read.
        builder.Services.AddRegistryChangeFeed();
        builder.Services.AddSingleton<ClientRevocationListener>();
        builder.Services.AddHostedService(services => services.GetRequiredService<ClientRevocationListener>());
        builder.Services.AddSingleton<IRegistryChangeHandler>(services => services.GetRequiredService<ClientRevocationListener>());
        // Bounded: at most this many distinct tokens are remembered at once.
        builder.Services.AddSingleton(services => new ValidatedTokenCache(new MemoryCache(new MemoryCacheOptions { SizeLimit = 10_000 }),
            services.GetRequiredService<ClientRevocations>()));
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<AccessTokenOptions>, IHttpClientFactory, ValidatedTokenCache>((options, tokens, clients, validated) =>
            {
                options.MetadataAddress = tokens.Value.MetadataAddress;
                // Inside the deployment the Provisioner is reached over plain HTTP through service discovery.
                options.RequireHttpsMetadata = false;
                options.MapInboundClaims = false;
                options.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = tokens.Value.Issuer,
                    ValidAudience = tokens.Value.Audience,
                    ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
                    ClockSkew = TimeSpan.FromSeconds(30),
                    NameClaimType = TenancyClaims.Subject,
                    RoleClaimType = TenancyClaims.Role,
                };
                options.Backchannel = clients.CreateClient("provisioner-keys");
                options.TokenHandlers.Clear();
                options.TokenHandlers.Add(validated);
            });
        builder.Services.AddAuthorization();
        return builder;
    }
}
