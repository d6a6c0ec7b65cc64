using TieredTenancy.Provisioner;
using TieredTenancy.Provisioner.Clients;
using TieredTenancy.Provisioner.Plans;
using TieredTenancy.Provisioner.Tenants;
using TieredTenancy.Provisioner.Tokens;
using TieredTenancy.Tenancy.Http;

// The control plane: owns the tenant registry; provisions tenants; issues tokens.
var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddRegistryAndStorage();
builder.AddTenantProvisioning();
builder.AddTokenIssuing();

var app = builder.Build();

app.UseProblemDetailsDefaults();
app.UseAuthentication();
app.UseAuthorization();

app.MapDefaultEndpoints();
app.MapTokenEndpoint();
app.MapGroup("/admin")
    .RequireAuthorization(TokenIssuing.PlatformAdminPolicy)
    .MapPlanEndpoints()
    .MapTenantEndpoints()
    .MapClientEndpoints();

app.Run();
