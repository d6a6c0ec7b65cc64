using Microsoft.Extensions.Options;

namespace TieredTenancy.Provisioner.Clients;

/// <summary>Registers the platform-admin client at start, with the secret from the AppHost's secret parameter.</summary>
public sealed class PlatformAdminRegistration(IServiceScopeFactory scopes, IOptions<PlatformAdminOptions> options) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<ClientRegistration>().EnsurePlatformAdminAsync(options.Value.ClientSecret, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
