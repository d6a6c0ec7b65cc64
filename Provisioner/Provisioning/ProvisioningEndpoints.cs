using TieredTenancy.Provisioner.Plans;
using TieredTenancy.Provisioner.Tenants;
using TieredTenancy.Tenancy.Http;

namespace TieredTenancy.Provisioner.Provisioning;

public static class ProvisioningEndpoints
{
    public static RouteGroupBuilder MapProvisioningEndpoints(this RouteGroupBuilder admin)
    {
        admin.MapPost("/tenants", CreateAsync).WithTags("Tenants").WithName("CreateTenant")
            .WithSummary("Provisions a tenant at its plan's isolation.").Produces<TenantResponse>(StatusCodes.Status201Created);
        return admin;
    }

    private static async Task<IResult> CreateAsync(HttpRequest request, PlanCatalog plans, TenantProvisioning provisioning,
        CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonBody.ReadAsync<CreateTenantRequest>(request);
        if (problem is not null)
        {
            return problem;
        }

        var errors = body!.Validate();
        var plan = body.Plan is null ? null : await plans.FindAsync(body.Plan, cancellationToken);
        if (plan is null && !errors.ContainsKey("plan"))
        {
            var known = (await plans.AllAsync(cancellationToken)).Keys.Order();
            errors["plan"] = [$"plan must be one of: {string.Join(", ", known)}."];
        }
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        var result = await provisioning.CreateAsync(body.Slug!, body.Name!.Trim(), plan!, cancellationToken);
        if (result.IsSlugTaken)
        {
            return Problems.Conflict($"The slug '{body.Slug}' is already taken by another tenant.");
        }
        var tenant = TenantResponse.From(result.Tenant!, result.MigrationVersion!);
        return Results.Created($"/admin/tenants/{tenant.Id}", tenant);
    }}
