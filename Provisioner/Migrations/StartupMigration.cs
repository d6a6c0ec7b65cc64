using Microsoft.EntityFrameworkCore;
using TieredTenancy.Provisioner.Storage;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Migrations;

/// <summary>
/// At start, after the shared tables and the templates are brought to the latest version: any
/// tenant schema or database still behind is migrated in the background as a migrate operation,
/// so pulling a new version and starting the stack upgrades a kept fleet.
/// </summary>
public sealed class StartupMigration(IServiceScopeFactory scopes, StorageMigrations migrations, ILogger<StartupMigration> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var catalog = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
        var behind = await catalog.StorageTargets.CountAsync(target => target.MigrationVersion != migrations.LatestVersion, cancellationToken);
        if (behind == 0)
        {
            return;
        }
        var (started, running) = await scope.ServiceProvider.GetRequiredService<FleetMigrationStarter>()
            .StartAsync(null, null, null, null, "system", cancellationToken);
        logger.LogInformation(started is not null
            ? "{Behind} storage target(s) are behind {Version}; migration {Operation} brings them up"
            : "{Behind} storage target(s) are behind {Version}; migration {Operation} already runs",
            behind, migrations.LatestVersion, (started ?? running)?.Id);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
