using Microsoft.Extensions.Options;
using OpenIddict.Server;
using OpenIddict.Validation.AspNetCore;
using TieredTenancy.Tenancy.Hosting;
using TieredTenancy.Tenancy.Http;
using TieredTenancy.Tenancy.Identity;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Tokens;

/// <summary>
/// OpenIddict issues signed JWT access tokens (client credentials) and publishes its keys through
/// the discovery document and JWKS; the Provisioner validates its own tokens on the admin routes.
/// </summary>
public static class TokenIssuing
{
    public const string PlatformAdminPolicy = "platform-admin";
    public const string TenantAdminPolicy = "tenant-admin";

    /// <summary>
    /// The endpoints are the control plane's: a platform-admin token or nothing. No token, or one
    /// that is not valid: 401; a tenant client's token: 403.
    /// </summary>
    public static TBuilder RequirePlatformAdmin<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(PlatformAdminPolicy)
            .ProducesProblems(StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden);

    /// <summary>
    /// The endpoints serve a tenant's admin client, for its own tenant: a token with the
    /// <c>admin</c> role and a tenant. No token, or one that is not valid: 401; any other token: 403.
    /// </summary>
    public static TBuilder RequireTenantAdmin<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(TenantAdminPolicy)
            .ProducesProblems(StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden);

    /// <summary>Throttles guessing at <c>/connect/token</c>; ahead of authentication, where OpenIddict checks client secrets.</summary>
    public static IApplicationBuilder UseTokenRequestThrottle(this IApplicationBuilder app) => app.UseMiddleware<TokenRequestThrottle>();

    public static IHostApplicationBuilder AddTokenIssuing(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<TokenOptions>(TokenOptions.SectionName);
        builder.Services.AddSingleton<TokenRequestThrottle>();
        builder.Services.AddOpenIddict()
            .AddCore(core => core.UseEntityFrameworkCore().UseDbContext<CatalogDbContext>())
            .AddServer(server =>
            {
                server.SetTokenEndpointUris("connect/token");
                server.AllowClientCredentialsFlow();
                // Plain signed JWTs (JWS), so any resource server validates them with the published keys.
                server.DisableAccessTokenEncryption();
                // Access tokens are self-contained; storing each one would cost a write per token.
                server.DisableTokenStorage();
                server.UseAspNetCore()
                    .EnableTokenEndpointPassthrough()
                    // TLS ends in front of the services (Aspire's proxy, an ingress); inside, it is plain HTTP.
                    .DisableTransportSecurityRequirement();
            })
            .AddValidation(validation =>
            {
                validation.UseLocalServer();
                validation.AddAudiences(TenancyClaims.Audience);
                validation.UseAspNetCore();
            });

        builder.Services.AddSingleton<SigningKeyStore>();
        // The signing and encryption keys, the issuer and the token lifetime come from the catalog and the Tokens section.
        builder.Services.AddSingleton<IConfigureOptions<OpenIddictServerOptions>, TokenServerConfiguration>();
        builder.Services.AddAuthentication(OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(PlatformAdminPolicy, policy => policy
                .AddAuthenticationSchemes(OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme)
                .RequireAuthenticatedUser()
                .RequireRole(TenancyRoles.PlatformAdmin))
            .AddPolicy(TenantAdminPolicy, policy => policy
                .AddAuthenticationSchemes(OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme)
                .RequireAuthenticatedUser()
                .RequireRole(TenancyRoles.Admin)
                .RequireClaim(TenancyClaims.TenantId));
        return builder;
    }
}
