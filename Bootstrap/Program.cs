using TieredTenancy.Bootstrap;

// Runs once before the services, as each server's superuser: creates the platform's roles and
// hands them their databases, then exits. The services themselves never hold a superuser login.
var builder = Host.CreateApplicationBuilder(args);

builder.AddServiceDefaults();
builder.AddPlatformRoles();

using var host = builder.Build();
return await host.RunPlatformBootstrapAsync();
