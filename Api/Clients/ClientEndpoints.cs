using System.ComponentModel;
using Microsoft.AspNetCore.Http.HttpResults;
using TieredTenancy.Api.Tenants;
using TieredTenancy.Tenancy.Clients;
using TieredTenancy.Tenancy.Http;
using TieredTenancy.Tenancy.Identity;

namespace TieredTenancy.Api.Clients;

/// <summary>
/// Self-service: a tenant's admin lists the tenant's API clients and makes and revokes its member
/// clients. The Provisioner does the work, asked with the caller's own token (<see cref="ControlPlaneClients"/>).
/// </summary>
public static class ClientEndpoints
{
    public static RouteGroupBuilder MapClientEndpoints(this RouteGroupBuilder tenantPlane)
    {
        var clients = tenantPlane.MapGroup("/clients").WithTags("Clients")
            .RequireTenantAdmin()
            .AddEndpointFilter(RefusePlatformAdmins)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        clients.MapGet("/", ListAsync)
            .WithName("ListClients").WithSummary("The tenant's API clients, revoked ones included, never their secrets (the tenant's admin clients)");
        clients.MapPost("/", CreateAsync)
            .WithName("CreateMemberClient").WithSummary("Create a member client of the tenant; its secret is shown this once (the tenant's admin clients)");
        clients.MapDelete("/{clientId}", RevokeAsync)
            .WithName("RevokeMemberClient")
            .WithSummary("Revoke a member client of the tenant: it gets no token, and its tokens are refused within a second (the tenant's admin clients)")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return tenantPlane;
    }

    private static async Task<Results<Ok<PagedList<ClientResponse>>, ProblemHttpResult, ValidationProblem>> ListAsync([AsParameters] PageQuery paging,
        HttpRequest request, ControlPlaneClients controlPlane, CancellationToken cancellationToken)
    {
        if (!paging.TryRead(out var page, out var invalid))
        {
            return invalid;
        }
        var (list, problem) = await controlPlane.SendAsync<PagedList<ClientResponse>>(HttpMethod.Get,
            $"{SelfServiceClients.Path}?page={page.Page}&pageSize={page.PageSize}", CallerToken(request), null, cancellationToken);
        return problem ?? (Results<Ok<PagedList<ClientResponse>>, ProblemHttpResult, ValidationProblem>)TypedResults.Ok(list!);
    }

    private static async Task<Results<Created<ClientSecretResponse>, ProblemHttpResult>> CreateAsync(ValidatedBody<MemberClientRequest> body,
        HttpRequest request, ControlPlaneClients controlPlane, CancellationToken cancellationToken)
    {
        var (created, problem) = await controlPlane.SendAsync<ClientSecretResponse>(HttpMethod.Post, SelfServiceClients.Path, CallerToken(request),
            body.Value, cancellationToken);
        return problem ?? (Results<Created<ClientSecretResponse>, ProblemHttpResult>)TypedResults.Created($"/clients/{created!.ClientId}", created);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RevokeAsync([Description("The client's id (client_id), e.g. tc_…")] string clientId,
        HttpRequest request, ControlPlaneClients controlPlane, CancellationToken cancellationToken)
    {
        var (_, problem) = await controlPlane.SendAsync<object>(HttpMethod.Delete, SelfServiceClients.PathOf(clientId), CallerToken(request), null,
            cancellationToken);
        return problem ?? (Results<NoContent, ProblemHttpResult>)TypedResults.NoContent();
    }

    // Authentication has read a bearer token from this header.
    private static string CallerToken(HttpRequest request) => request.Headers.Authorization.ToString()["Bearer ".Length..].Trim();

    /// <summary>A platform admin's token names no tenant for the Provisioner to take; it manages clients on the control plane.</summary>
    private static async ValueTask<object?> RefusePlatformAdmins(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next) =>
        invocation.HttpContext.User.IsInRole(TenancyRoles.PlatformAdmin)
            ? Problems.Forbidden("A platform admin manages a tenant's clients on the control plane: /admin/tenants/{id}/clients.")
            : await next(invocation);
}
