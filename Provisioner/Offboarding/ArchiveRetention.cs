using Microsoft.EntityFrameworkCore;
using TieredTenancy.Provisioner.Archives;
using TieredTenancy.Provisioner.Storage;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Offboarding;

/// <summary>
/// Once an hour: archives (and import uploads) older than the retention period are removed, and the
/// slug of a tenant deleted longer ago than that is released (renamed on its tombstone), so it can be
/// taken again; until then it answers 409.
/// </summary>
public sealed class ArchiveRetention(IServiceScopeFactory scopes, ArchiveStore store, ILogger<ArchiveRetention> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(exception, "Sweeping the archive store failed; trying again in {Interval}", Interval);
            }
            await Task.Delay(Interval, stoppingToken);
        }
    }

    private async Task SweepAsync(CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        foreach (var file in store.Expired(now).ToList())
        {
            File.Delete(file);
            logger.LogInformation("Archive {File} removed: older than {Retention}", store.NameOf(file), store.Retention);
        }
        await using var scope = scopes.CreateAsyncScope();
        var catalog = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
        var released = await catalog.Tenants
            .Where(tenant => tenant.Status == TenantStatus.Deleted && tenant.UpdatedAt < now - store.Retention && !tenant.Slug.StartsWith("deleted-"))
            .ExecuteUpdateAsync(set => set.SetProperty(tenant => tenant.Slug, tenant => "deleted-" + tenant.Id.ToString().Replace("-", "")), cancellationToken);
        if (released > 0)
        {
            logger.LogInformation("{Count} slug(s) of tenants deleted more than {Retention} ago released", released, store.Retention);
        }
    }
}
