using System.Security.Claims;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using TieredTenancy.Provisioner.Clients;
using TieredTenancy.Tenancy.Identity;
using TieredTenancy.Tenancy.Registry;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace TieredTenancy.Provisioner.Tokens;

public static class TokenEndpoint
{
    /// <summary>
    /// OpenIddict has already authenticated the client (id and hashed secret) when this runs; this
    /// decides what the token says: who, which role and, for tenant clients, which tenant.
    /// </summary>
    public static IEndpointRouteBuilder MapTokenEndpoint(this IEndpointRouteBuilder app)
    {
        app.MapPost(TokenRequestThrottle.TokenPath, async (HttpContext http, CatalogDbContext catalog, CancellationToken cancellationToken) =>
        {
            var request = http.GetOpenIddictServerRequest()
                ?? throw new InvalidOperationException("The OpenIddict server request is missing.");
            if (!request.IsClientCredentialsGrantType())
            {
                return Refuse(Errors.UnsupportedGrantType, "Only the client_credentials grant is supported.");
            }

            var client = await catalog.ApiClients.AsNoTracking().SingleOrDefaultAsync(c => c.ClientId == request.ClientId, cancellationToken);
            if (client is null)
            {
                return Refuse(Errors.InvalidClient, "The client is not registered.");
            }
            if (client.IsRevoked)
            {
                return Refuse(Errors.InvalidClient, "The client was revoked.");
            }
            // OpenIddict checked the secret against the hash it read; a rotation may have committed since.
            var generation = client.TenantId is null ? client.Generation : ClientSecrets.GenerationOf(request.ClientSecret);
            if (generation != client.Generation)
            {
                return Refuse(Errors.InvalidClient, "The client's secret was replaced.");
            }

            var identity = new ClaimsIdentity(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme, Claims.Name, TenancyClaims.Role);
            identity.SetClaim(TenancyClaims.Subject, client.ClientId)
                .SetClaim(Claims.Name, client.Name)
                .SetClaims(TenancyClaims.Role, [client.Role])
                .SetClaim(TenancyClaims.ClientGeneration, generation);
            if (client.TenantId is { } tenantId)
            {
                var status = await catalog.Tenants.Where(t => t.Id == tenantId).Select(t => (TenantStatus?)t.Status).SingleOrDefaultAsync(cancellationToken);
                if (status is not (TenantStatus.Active or TenantStatus.Moving))
                {
                    return Refuse(Errors.InvalidGrant, $"The client's tenant is {status?.ToString().ToLowerInvariant() ?? "gone"}; no token is issued.");
                }
                identity.SetClaim(TenancyClaims.TenantId, tenantId.ToString());
            }
            identity.SetAudiences(TenancyClaims.Audience);
            identity.SetDestinations(_ => [Destinations.AccessToken]);
            return Results.SignIn(new ClaimsPrincipal(identity), properties: null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        }).ExcludeFromDescription();
        return app;
    }

    private static IResult Refuse(string error, string description) =>
        Results.Forbid(new AuthenticationProperties(new Dictionary<string, string?>
        {
            [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
            [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
        }), [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
}
