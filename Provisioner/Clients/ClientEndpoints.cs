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
        admin.MapPost("/tenants/{id}/clients", CreateAsync).WithTags("Clients");
        return admin;
    }

    private static async Task<IResult> CreateAsync(string id, HttpRequest request, TenantLookup lookup, ClientRegistration registration,
        AuditLog audit, CatalogDbContext catalog, CancellationToken cancellationToken)
    {
        if (!RouteIds.TryParse(id, out var tenantId, out var idProblem))
        {
            return idProblem!;
        }
        var (body, problem) = await JsonBody.ReadValidAsync<CreateClientRequest>(request);
        if (problem is not null)
        {
            return problem;
        }
        var tenant = await lookup.FindAsync(tenantId, cancellationToken);
        if (tenant is null || tenant.Status == TenantStatus.Deleted)
        {
            return Problems.NotFound($"There is no tenant '{id}'.");
        }

        var (clientId, secret) = await registration.CreateTenantClientAsync(tenant.Id, body!.Name!.Trim(), body.Role!, cancellationToken);
        audit.Record("client.create", tenant.Id, $"client={clientId} role={body.Role}");
        await catalog.SaveChangesAsync(cancellationToken);
        return Results.Created($"/admin/tenants/{tenant.Id}/clients/{clientId}", new CreatedClientResponse(clientId, secret));
    }
}

public sealed record CreateClientRequest(string? Name, string? Role) : IValidatedRequest
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

public sealed record CreatedClientResponse(string ClientId, string ClientSecret);
