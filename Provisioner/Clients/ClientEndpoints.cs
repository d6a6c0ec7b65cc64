using System.ComponentModel;
using Microsoft.AspNetCore.Http.HttpResults;
using TieredTenancy.Provisioner.Tenants;
using TieredTenancy.Tenancy.Clients;
using TieredTenancy.Tenancy.Http;
using TieredTenancy.Tenancy.Identity;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Clients;

/// <summary>A tenant's API clients, for the platform admin: made, listed, revoked, given a new secret.</summary>
public static class ClientEndpoints
{
    public const string ClientIdDescription = "The client's id (client_id), e.g. tc_…";

    public static RouteGroupBuilder MapClientEndpoints(this RouteGroupBuilder admin)
    {
        var clients = admin.MapGroup("/tenants/{id}/clients").WithTags("Clients");
        clients.MapPost("/", CreateAsync)
            .WithName("CreateTenantClient").WithSummary("Create an API client of a tenant; its secret is shown this once")
            .ProducesProblem(StatusCodes.Status404NotFound);
        clients.MapGet("/", ListAsync)
            .WithName("ListTenantClients").WithSummary("List a tenant's API clients, revoked ones included (never their secrets)")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        clients.MapDelete("/{clientId}", RevokeAsync)
            .WithName("RevokeTenantClient").WithSummary("Revoke a tenant's API client: it gets no token, and its tokens are refused within a second")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        clients.MapPost("/{clientId}/rotate", RotateAsync)
            .WithName("RotateTenantClientSecret")
            .WithSummary("Give a tenant's API client a new secret, shown this once; the old secret and the tokens issued for it are refused")
            .WithDescription("409 when the client is revoked.")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return admin;
    }

    private static async Task<Results<Created<ClientSecretResponse>, ProblemHttpResult>> CreateAsync([Description(RouteIds.TenantDescription)] string id,
        ValidatedBody<CreateClientRequest> body, TenantLookup lookup, ClientRegistration registration, CancellationToken cancellationToken)
    {
        var (tenant, problem) = await FindTenantAsync(id, lookup, cancellationToken);
        if (tenant is null)
        {
            return problem!;
        }
        var created = await registration.CreateTenantClientAsync(tenant.Id, body.Value.Name!.Trim(), body.Value.Role!, cancellationToken);
        return TypedResults.Created($"/admin/tenants/{tenant.Id}/clients/{created.ClientId}", created);
    }

    private static async Task<Results<Ok<PagedList<ClientResponse>>, ProblemHttpResult, ValidationProblem>> ListAsync(
        [Description(RouteIds.TenantDescription)] string id, [AsParameters] PageQuery paging, TenantLookup lookup, ClientRegistration registration,
        CancellationToken cancellationToken)
    {
        if (!paging.TryRead(out var page, out var invalid))
        {
            return invalid;
        }
        var (tenant, problem) = await FindTenantAsync(id, lookup, cancellationToken);
        return tenant is null ? problem! : TypedResults.Ok(await registration.ListAsync(tenant.Id, page, cancellationToken));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RevokeAsync([Description(RouteIds.TenantDescription)] string id,
        [Description(ClientIdDescription)] string clientId, TenantLookup lookup, ClientRegistration registration, CancellationToken cancellationToken)
    {
        var (client, problem) = await FindClientAsync(id, clientId, lookup, registration, cancellationToken);
        if (client is null)
        {
            return problem!;
        }
        await registration.RevokeAsync(client, cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<ClientSecretResponse>, ProblemHttpResult>> RotateAsync([Description(RouteIds.TenantDescription)] string id,
        [Description(ClientIdDescription)] string clientId, TenantLookup lookup, ClientRegistration registration, CancellationToken cancellationToken)
    {
        var (client, problem) = await FindClientAsync(id, clientId, lookup, registration, cancellationToken);
        if (client is null)
        {
            return problem!;
        }
        if (client.IsRevoked)
        {
            return Problems.Conflict($"The client '{clientId}' was revoked at {client.RevokedAt:O}; a revoked client gets no new secret.");
        }
        return TypedResults.Ok(await registration.RotateAsync(client, cancellationToken));
    }

    private static async Task<(Tenant? Tenant, ProblemHttpResult? Problem)> FindTenantAsync(string id, TenantLookup lookup, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var tenantId, out var problem))
        {
            return (null, problem);
        }
        var tenant = await lookup.FindExistingAsync(tenantId, cancellationToken);
        return tenant is null ? (null, Problems.For(Refusal.NoTenant(id))) : (tenant, null);
    }

    private static async Task<(ApiClient? Client, ProblemHttpResult? Problem)> FindClientAsync(string id, string clientId, TenantLookup lookup,
        ClientRegistration registration, CancellationToken cancellationToken)
    {
        var (tenant, problem) = await FindTenantAsync(id, lookup, cancellationToken);
        if (tenant is null)
        {
            return (null, problem);
        }
        var client = await registration.FindAsync(tenant.Id, clientId, cancellationToken);
        return client is null ? (null, NotFound(clientId)) : (client, null);
    }

    /// <summary>Another tenant's client answers exactly like one that does not exist.</summary>
    internal static ProblemHttpResult NotFound(string clientId) => Problems.NotFound($"The tenant has no client '{clientId}'.");
}

public sealed record CreateClientRequest(
    [property: Description("What the client is for, e.g. \"acme ci\".")] string? Name,
    [property: Description("member, or admin (may also delete projects, read the audit trail, export, and manage the tenant's member clients).")] string? Role)
    : IValidatedRequest
{
    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>();
        TextField.Check(errors, "name", Name, 100);
        if (!TenancyRoles.IsTenantRole(Role))
        {
            errors["role"] = [$"role must be '{TenancyRoles.Member}' or '{TenancyRoles.Admin}'."];
        }
        return errors;
    }
}
