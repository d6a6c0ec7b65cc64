using TieredTenancy.Provisioner;
using TieredTenancy.Provisioner.Archives;
using TieredTenancy.Provisioner.Audit;
using TieredTenancy.Provisioner.Broadcast;
using TieredTenancy.Provisioner.Clients;
using TieredTenancy.Provisioner.Credentials;
using TieredTenancy.Provisioner.Faults;
using TieredTenancy.Provisioner.Migrations;
using TieredTenancy.Provisioner.Moves;
using TieredTenancy.Provisioner.Offboarding;
using TieredTenancy.Provisioner.Operations;
using TieredTenancy.Provisioner.Plans;
using TieredTenancy.Provisioner.Provisioning;
using TieredTenancy.Provisioner.Servers;
using TieredTenancy.Provisioner.Storage;
using TieredTenancy.Provisioner.Tenants;
using TieredTenancy.Provisioner.Tokens;
using TieredTenancy.Provisioner.Usage;
using TieredTenancy.Tenancy.Http;

// The control plane: owns the tenant registry; provisions, moves and operates tenants; issues tokens.
var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddFaultInjection();
// Hosted services start in this order: storage ready, clients registered, unfinished work undone, then operations run.
builder.AddRegistryAndStorage();
builder.AddServerPlacement();
builder.AddControlPlaneAudit();
builder.AddRegistryBroadcast();
builder.AddApiClients();
builder.AddPlans();
builder.AddTenantRegistry();
builder.AddTenantUsage();
builder.AddTenantProvisioning();
builder.AddDurableOperations();
builder.AddTierMoves();
builder.AddFleetMigrations();
builder.AddTenantArchives();
builder.AddTenantOffboarding();
builder.AddCredentialRotation();
builder.AddTokenIssuing();
builder.AddAdminApiContract();

var app = builder.Build();

app.UseServerTiming();
app.UseProblemDetailsDefaults();
app.UseFaultInjection();
app.UseTokenRequestThrottle();
app.UseAuthentication();
app.UseAuthorization();

app.MapDefaultEndpoints();
app.MapOpenApiDocument();
app.MapRegistryChangesForTests();
app.MapTokenEndpoint();
app.MapSelfServiceClientEndpoints();
app.MapGroup("/admin")
    .RequirePlatformAdmin()
    .MapPlanEndpoints()
    .MapProvisioningEndpoints()
    .MapTenantEndpoints()
    .MapMoveEndpoints()
    .MapMigrationEndpoints()
    .MapArchiveEndpoints()
    .MapOffboardingEndpoints()
    .MapCredentialEndpoints()
    .MapClientEndpoints()
    .MapServerEndpoints()
    .MapUsageEndpoints()
    .MapOperationEndpoints();

app.Run();
