using Microsoft.AspNetCore.Http.HttpResults;
using TieredTenancy.Provisioner.Plans;
using TieredTenancy.Provisioner.Servers;
using TieredTenancy.Provisioner.Storage;
using TieredTenancy.Provisioner.Tenants;
using TieredTenancy.Tenancy.Http;

namespace TieredTenancy.Provisioner.Provisioning;

public static class ProvisioningEndpoints
{
    public static RouteGroupBuilder MapProvisioningEndpoints(this RouteGroupBuilder admin)
    {
        admin.MapPost("/tenants", CreateAsync).WithTags("Tenants")
            .WithName("CreateTenant").WithSummary("Provision a tenant at its plan's isolation")
            .WithDescription("409 when the slug is taken; 503 when the plan's isolation needs a dedicated server and none has room.")
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return admin;
    }

    // The body's fields and its plan are checked together, so one answer names every bad field; the plan needs the catalog.
    private static async Task<Results<Created<TenantResponse>, ValidationProblem, ProblemHttpResult>> CreateAsync(JsonBody<CreateTenantRequest> body,
        PlanCatalog plans, TenantProvisioning provisioning, CancellationToken cancellationToken)
    {
        var request = body.Value;
        var errors = request.Validate();
        var plan = request.Plan is null ? null : await plans.FindAsync(request.Plan, cancellationToken);
        if (plan is null && !errors.ContainsKey("plan"))
        {
            errors["plan"] = [await plans.UnknownPlanErrorAsync(cancellationToken)];
        }
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        ProvisioningResult result;
        try
        {
            result = await provisioning.CreateAsync(request.Slug!, request.Name!.Trim(), plan!, cancellationToken);
        }
        catch (NoServerRoomException full)
        {
            // Nothing was made: placement is chosen before any storage is.
            return Problems.Unavailable(full.Message);
        }
        if (result.IsSlugTaken)
        {
            return Problems.Conflict($"The slug '{request.Slug}' is already taken by another tenant.");
        }
        var tenant = TenantResponse.From(result.Tenant!, result.MigrationVersion!);
        return TypedResults.Created($"/admin/tenants/{tenant.Id}", tenant);
    }
}
