using System.ComponentModel;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using TieredTenancy.Provisioner.Tokens;
using TieredTenancy.Tenancy.Clients;
using TieredTenancy.Tenancy.Http;
using TieredTenancy.Tenancy.Identity;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Clients;

/// <summary>
/// A tenant's admin manages the tenant's own member clients (the Api's <c>/clients</c> forwards
/// here with the caller's token). The tenant is the token's, never one the request names; an
/// admin client makes and revokes member clients only: admin clients are the platform admin's to give.
/// </summary>
public static class SelfServiceClientEndpoints
{
    public static IEndpointRouteBuilder MapSelfServiceClientEndpoints(this IEndpointRouteBuilder app)
    {
        var clients = app.MapGroup(SelfServiceClients.Path).WithTags("Clients")
            .RequireTenantAdmin();
        // First of the filters, so a refused caller learns nothing about its request body.
        ((IEndpointConventionBuilder)clients).Add(endpoint => endpoint.FilterFactories.Insert(0, (_, next) => invocation => RequireCurrentCaller(invocation, next)));
        clients.MapGet("/", ListAsync)
            .WithName("ListOwnClients").WithSummary("The caller's tenant's API clients (tenant admin token)")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        clients.MapPost("/", CreateAsync)
            .WithName("CreateOwnMemberClient").WithSummary("Create a member client of the caller's tenant; its secret is shown this once (tenant admin token)");
        clients.MapDelete("/{clientId}", RevokeAsync)
            .WithName("RevokeOwnMemberClient").WithSummary("Revoke a member client of the caller's tenant (tenant admin token)")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    private static async Task<Results<Ok<PagedList<ClientResponse>>, ValidationProblem>> ListAsync([AsParameters] PageQuery paging,
        ClaimsPrincipal caller, ClientRegistration registration, CancellationToken cancellationToken)
    {
        if (!paging.TryRead(out var page, out var problem))
        {
            return problem;
        }
        return TypedResults.Ok(await registration.ListAsync(TenantOf(caller), page, cancellationToken));
    }

    private static async Task<Results<Created<ClientSecretResponse>, ProblemHttpResult>> CreateAsync(ValidatedBody<MemberClientRequest> body,
        ClaimsPrincipal caller, ClientRegistration registration, CancellationToken cancellationToken)
    {
        if (body.Value.AsksForAdmin)
        {
            return Problems.Forbidden("A tenant's admin clients are made by the platform admin; self-service makes member clients only.");
        }
        var created = await registration.CreateTenantClientAsync(TenantOf(caller), body.Value.Name!.Trim(), TenancyRoles.Member, cancellationToken);
        return TypedResults.Created(SelfServiceClients.PathOf(created.ClientId), created);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RevokeAsync([Description(ClientEndpoints.ClientIdDescription)] string clientId,
        ClaimsPrincipal caller, ClientRegistration registration, CancellationToken cancellationToken)
    {
        var client = await registration.FindAsync(TenantOf(caller), clientId, cancellationToken);
        if (client is null)
        {
            return ClientEndpoints.NotFound(clientId);
        }
        if (client.Role != TenancyRoles.Member)
        {
            return Problems.Forbidden("Self-service revokes member clients only; an admin client is revoked by the platform admin.");
        }
        await registration.RevokeAsync(client, cancellationToken);
        return TypedResults.NoContent();
    }

    /// <summary>
    /// The Provisioner checks its tokens' signatures itself, but revocations live in the catalog:
    /// the calling client must still hold its current secret, and its tenant must be served. One
    /// catalog read per request is nothing on the control plane.
    /// </summary>
    private static async ValueTask<object?> RequireCurrentCaller(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var http = invocation.HttpContext;
        var catalog = http.RequestServices.GetRequiredService<CatalogDbContext>();
        var clientId = http.User.FindFirstValue(TenancyClaims.Subject);
        var tenantId = TenantOf(http.User);
        var caller = await catalog.ApiClients.AsNoTracking()
            .Where(client => client.ClientId == clientId && client.TenantId == tenantId)
            .Select(client => new { client.Generation, client.RevokedAt })
            .SingleOrDefaultAsync(http.RequestAborted);
        var generation = int.TryParse(http.User.FindFirstValue(TenancyClaims.ClientGeneration), out var value) ? value : 1;
        if (caller is null || caller.RevokedAt is not null || caller.Generation != generation)
        {
            return Problems.Unauthorized("The token's client was revoked or has a new secret; ask /connect/token for a new token.");
        }
        var status = await catalog.Tenants.AsNoTracking().Where(tenant => tenant.Id == tenantId).Select(tenant => tenant.Status).SingleAsync(http.RequestAborted);
        if (status is not (TenantStatus.Active or TenantStatus.Moving))
        {
            return Problems.Forbidden($"The tenant is {status.ToString().ToLowerInvariant()}.");
        }
        return await next(invocation);
    }

    // The tenant-admin policy has checked that the claim is there.
    private static Guid TenantOf(ClaimsPrincipal caller) => Guid.Parse(caller.FindFirstValue(TenancyClaims.TenantId)!);
}
