using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.IdentityModel.Tokens;

namespace TieredTenancy.Api.Authentication;

/// <summary>
/// Access tokens are validated against the Provisioner's published keys (OpenID discovery and
/// JWKS), fetched through service discovery: RS256 only (so <c>alg: none</c> and HMAC tricks
/// fail), the platform's audience, the fixed issuer, a short clock skew.
/// </summary>
public static class TokenValidation
{
    public static IHostApplicationBuilder AddTokenValidation(this IHostApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection("Tokens");
        var issuer = section["Issuer"] ?? "http://provisioner/";
        var metadata = section["MetadataAddress"] ?? "http://provisioner/.well-known/openid-configuration";

        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme)
            .AddJwtBearer(options =>
            {
                options.MetadataAddress = metadata;
                // Inside the deployment the Provisioner is reached over plain HTTP through service discovery.
                options.RequireHttpsMetadata = false;
                options.MapInboundClaims = false;
                options.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = issuer,
                    ValidAudience = section["Audience"] ?? "tieredtenancy",
                    ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
                    ClockSkew = TimeSpan.FromSeconds(30),
                    NameClaimType = "sub",
                    RoleClaimType = "role",
                };
            });
        // Bounded: at most this many distinct tokens are remembered at once.
        var validated = new ValidatedTokenCache(new MemoryCache(new MemoryCacheOptions { SizeLimit = 10_000 }));
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IHttpClientFactory>((options, clients) =>
            {
                options.Backchannel = clients.CreateClient("provisioner-keys");
                options.TokenHandlers.Clear();
                options.TokenHandlers.Add(validated);
            });
        builder.Services.AddAuthorization();
        return builder;
    }
}
