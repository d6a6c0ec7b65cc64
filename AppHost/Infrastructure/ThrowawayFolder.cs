namespace TieredTenancy.AppHost.Infrastructure;

/// <summary>Deletes an ephemeral run's data folder once its servers have stopped.</summary>
public static class ThrowawayFolder
{
    public static void DeleteWhenStopped(IDistributedApplicationBuilder builder, string folder)
    {
        builder.Eventing.Subscribe<BeforeStartEvent>((@event, _) =>
        {
            var lifetime = @event.Services.GetRequiredService<IHostApplicationLifetime>();
            lifetime.ApplicationStopped.Register(() => Delete(folder));
            return Task.CompletedTask;
        });
    }

    private static void Delete(string folder)
    {
        // Servers may still be writing their last files while they shut down; give them a moment.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        // A PostgreSQL server removes postmaster.pid as the last step of its shutdown.
        while (DateTime.UtcNow < deadline && Directory.Exists(folder)
            && Directory.EnumerateFiles(folder, "postmaster.pid", SearchOption.AllDirectories).Any())
        {
            Thread.Sleep(100);
        }
        while (Directory.Exists(folder))
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(250);
            }
        }
    }
}
