using TieredTenancy.Provisioner.Operations;
using TieredTenancy.Tenancy.Hosting;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Migrations;

public static class MigrationServices
{
    /// <summary>Fleet migrations: every storage target to one version, and at start whatever a new version left behind.</summary>
    public static IHostApplicationBuilder AddFleetMigrations(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<MigrationOptions>(MigrationOptions.SectionName);
        builder.Services.AddSingleton<TargetMigrator>();
        builder.Services.AddOperationHandler<FleetMigration>(OperationKind.Migrate);
        builder.Services.AddScoped<FleetMigrationStarter>();
        builder.Services.AddHostedService<StartupMigration>();
        return builder;
    }
}
