using TieredTenancy.Api;
using TieredTenancy.Api.Audit;
using TieredTenancy.Api.Capacity;
using TieredTenancy.Api.Authentication;
using TieredTenancy.Api.Baseline;
using TieredTenancy.Api.Clients;
using TieredTenancy.Api.Comments;
using TieredTenancy.Api.Export;
using TieredTenancy.Api.Features;
using TieredTenancy.Api.Isolation;
using TieredTenancy.Api.Projects;
using TieredTenancy.Api.RateLimits;
using TieredTenancy.Api.Search;
using TieredTenancy.Api.Tasks;
using TieredTenancy.Api.Telemetry;
using TieredTenancy.Api.Tenants;
using TieredTenancy.Tenancy.Http;

// The tenant plane: each tenant's data, served through the isolation strategy its registry entry selects.
var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddTokenValidation();
builder.AddTenantRegistry();
builder.AddTenantResolution();
builder.AddTenantAuditTrail();
builder.AddTenantRequestMetrics();
builder.AddTenantIsolation();
builder.AddPlanFeatures();
builder.AddSelfServiceClients();
builder.AddTenantExport();
builder.AddHttpContract();
builder.AddPlainBaseline();
builder.AddTenantCapacity();
builder.AddTenantRequestLimits();

var app = builder.Build();

app.UseServerTiming();
app.UseProblemDetailsDefaults();
app.UseAuthentication();
app.UseAuthorization();
app.UseMiddleware<TenantResolution>();
app.UseTenantRequestLimits();
app.UseTenantCapacity();
app.UseMiddleware<PlacementRetry>();

app.MapDefaultEndpoints();
app.MapOpenApiDocument();
app.MapBaselineEndpoints();
app.MapRegistryChangesForTests();
app.MapAdmissionsForTests();

app.MapGroup("")
    .RequireAuthorization()
    .RequireTenant()
    .MapTenantInfoEndpoints()
    .MapProjectEndpoints()
    .MapTaskEndpoints()
    .MapCommentEndpoints()
    .MapSearchEndpoints()
    .MapAuditEndpoints()
    .MapTenantExportEndpoints()
    .MapClientEndpoints()
    .MapSlowQueryForTests();

app.Run();
