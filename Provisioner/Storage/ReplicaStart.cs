using Npgsql;
using TieredTenancy.Tenancy.Storage;

namespace TieredTenancy.Provisioner.Storage;

/// <summary>
/// One Provisioner replica at a time runs its start (catalog migration, seeding, grants, the platform
/// admin's registration, the startup fleet migration): two replicas starting together would race on
/// the same rows and grants ("tuple concurrently updated"). The lock is a session advisory lock on a
/// catalog connection of its own, so a replica that dies while starting lets the next one go on.
/// </summary>
public sealed class ReplicaStart(IConfiguration configuration, ILogger<ReplicaStart> logger) : IHostedLifecycleService, IAsyncDisposable
{
    private NpgsqlConnection? _lock;

    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        _lock = new NpgsqlConnection(configuration.GetConnectionString("catalog"));
        await _lock.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"SELECT pg_advisory_lock({AdvisoryLocks.ProvisionerStart})", _lock);
        await command.ExecuteNonQueryAsync(cancellationToken);
        logger.LogInformation("This replica holds the start lock");
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // Every other hosted service's StartAsync has run: the next replica may start.
    public async Task StartedAsync(CancellationToken cancellationToken) => await ReleaseAsync();

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async ValueTask DisposeAsync() => await ReleaseAsync();

    // Closing the session ends its advisory locks.
    private async Task ReleaseAsync()
    {
        if (_lock is { } connection)
        {
            _lock = null;
            await connection.DisposeAsync();
        }
    }
}
