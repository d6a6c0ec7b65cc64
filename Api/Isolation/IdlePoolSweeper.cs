namespace TieredTenancy.Api.Isolation;

/// <summary>Closes the dedicated pools unused for a while, and disposes retired ones once no request can still be taking them.</summary>
public sealed class IdlePoolSweeper(DedicatedDataSources pools) : IHostedService, IAsyncDisposable
{
    private static readonly TimeSpan SweepPeriod = TimeSpan.FromSeconds(30);
    private Timer? _timer;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // A timer, not a loop: a sweep that fails is dropped and does not stop the host.
        // A request may have taken a pool just before it was retired: retired pools are disposed a sweep later.
        _timer = new Timer(_ => _ = pools.CloseIdleAsync(retiredBefore: SweepPeriod / 2), null, SweepPeriod, SweepPeriod);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _timer, null) is { } timer)
        {
            await timer.DisposeAsync();
        }
    }
}
