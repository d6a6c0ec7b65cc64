namespace TieredTenancy.Provisioner.Provisioning;

/// <summary>At start, after storage is ready: undoes tenants a crash left half-provisioned.</summary>
public sealed class UnfinishedProvisioning(IServiceScopeFactory scopes) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<TenantProvisioning>().UndoUnfinishedAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
