using Microsoft.Extensions.Options;
using TieredTenancy.Tenancy.Hosting;
using TieredTenancy.Tenancy.Storage;

namespace TieredTenancy.Bootstrap;

public static class PlatformRoles
{
    public static IHostApplicationBuilder AddPlatformRoles(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<BootstrapOptions>(BootstrapOptions.SectionName);
        builder.Services.AddValidatedOptions<TenantStorageOptions>(TenantStorageOptions.SectionName);
        builder.Services.AddSingleton<PlatformBootstrap>();
        return builder;
    }

    /// <summary>Starts the host (telemetry), runs the bootstrap once, stops; the exit code tells the AppHost whether the services may start.</summary>
    public static async Task<int> RunPlatformBootstrapAsync(this IHost host)
    {
        var logger = host.Services.GetRequiredService<ILogger<PlatformBootstrap>>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            await host.StartAsync(timeout.Token);
            await host.Services.GetRequiredService<PlatformBootstrap>().RunAsync(timeout.Token);
            return 0;
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            logger.LogCritical(exception, "The platform bootstrap failed; the services cannot start without their roles");
            return 1;
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }
}
