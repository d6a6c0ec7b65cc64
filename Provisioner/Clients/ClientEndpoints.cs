using System.ComponentModel;
using Microsoft.AspNetCore.Http.HttpResults;
using TieredTenancy.Provisioner.Audit;
using TieredTenancy.Provisioner.Tenants;
using TieredTenancy.Tenancy.Http;
using TieredTenancy.Tenancy.Identity;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Clients;

public static class ClientEndpoints
{
    public static RouteGroupBuilder MapClientEndpoints(this RouteGroupBuilder admin)
    {
        admin.MapPost("/tenants/{id}/clients", CreateAsync).WithTags("Clients")
            .WithName("CreateTenantClient").WithSummary("Create an API client of a tenant; its secret is shown this once")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return admin;
    }

    private static async Task<Results<Created<CreatedClientResponse>, ProblemHttpResult>> CreateAsync([Description(TenantEndpoints.IdDescription)] string id,
        ValidatedBody<CreateClientRequest> body, TenantLookup lookup, ClientRegistration registration, ControlPlaneAudit audit, CatalogDbContext catalog,
        CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var tenantId, out var problem))
        {
            return problem;
        }
        var tenant = await lookup.FindExistingAsync(tenantId, cancellationToken);
        if (tenant is null)
        {
            return TenantEndpoints.NotFound(id);
        }

        var (name, role) = (body.Value.Name!.Trim(), body.Value.Role!);
        var (clientId, secret) = await registration.CreateTenantClientAsync(tenant.Id, name, role, cancellationToken);
        audit.Record("client.create", tenant.Id, $"client={clientId} role={role}");
        await catalog.SaveChangesAsync(cancellationToken);
        return TypedResults.Created($"/admin/tenants/{tenant.Id}/clients/{clientId}", new CreatedClientResponse(clientId, secret));
    }
}

public sealed record CreateClientRequest(
    [property: Description("What the client is for, e.g. \"acme ci\".")] string? Name,
    [property: Description("member, or admin (may also manage the tenant's own clients and read its audit trail).")] string? Role) : IValidatedRequest
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

/// <summary>A new client's credentials; the secret is stored only hashed and never shown again.</summary>
public sealed record CreatedClientResponse(string ClientId, string ClientSecret);
