using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TieredTenancy.Provisioner.Faults;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Operations;

/// <summary>
/// Runs durable operations in the background. Any Provisioner instance may run any operation: it
/// claims one by taking its lease in the catalog (FOR UPDATE SKIP LOCKED, so two instances never
/// claim the same), renews the lease while it works, and gives it up when it stops. An operation
/// still marked running whose lease has expired was left by an instance that died: the next
/// instance to claim it asks its handler to recover it (finish or roll back).
/// </summary>
public sealed class OperationRunner(
    IServiceScopeFactory scopes,
    IEnumerable<IOperationHandler> handlers,
    FaultInjection faults,
    IOptions<OperationOptions> options,
    ILogger<OperationRunner> logger) : BackgroundService
{
    private readonly string _instance = Truncate($"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}", 100);
    private readonly OperationOptions _options = options.Value;
    private readonly Dictionary<OperationKind, IOperationHandler> _handlers = handlers.ToDictionary(handler => handler.Kind);
    private readonly ConcurrentDictionary<Guid, Task> _running = new();
    private readonly SemaphoreSlim _wake = new(0);

    /// <summary>Tells the runner a new operation is waiting, instead of letting it wait for the next poll.</summary>
    public void Wake() => _wake.Release();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (_running.Count < _options.MaxConcurrent && await ClaimAsync(stoppingToken) is { } claimed)
                {
                    // Registered before it starts, so its own removal at the end cannot come first.
                    var registered = new TaskCompletionSource();
                    _running[claimed.Operation.Id] = Task.Run(async () =>
                    {
                        await registered.Task;
                        await RunAsync(claimed.Operation, claimed.WasRunning, stoppingToken);
                    }, CancellationToken.None);
                    registered.SetResult();
                }
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(exception, "Claiming operations failed; trying again shortly");
            }
            try
            {
                await _wake.WaitAsync(_options.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        await Task.WhenAll(_running.Values);
    }

    private async Task<(Operation Operation, bool WasRunning)?> ClaimAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var catalog = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
        var connection = (Npgsql.NpgsqlConnection)catalog.Database.GetDbConnection();
        await catalog.Database.OpenConnectionAsync(cancellationToken);
        // One statement: pick a claimable operation nobody else is claiming, and take its lease.
        await using var claim = new Npgsql.NpgsqlCommand("""
            WITH next AS (
              SELECT id, status FROM operations
              WHERE (not_before IS NULL OR not_before <= now()) AND (status = 'Pending' OR (status = 'Running' AND (lease_expires_at IS NULL OR lease_expires_at < now())))
                AND NOT (id = ANY($1))
              ORDER BY started_at
              LIMIT 1
              FOR UPDATE SKIP LOCKED)
            UPDATE operations o
            SET lease_owner = $2, lease_expires_at = now() + $3, status = 'Running', attempts = o.attempts + 1, updated_at = now()
            FROM next WHERE o.id = next.id
            RETURNING o.id, next.status = 'Running'
            """, connection);
        claim.Parameters.Add(new Npgsql.NpgsqlParameter { Value = _running.Keys.ToArray() });
        claim.Parameters.Add(new Npgsql.NpgsqlParameter { Value = _instance });
        claim.Parameters.Add(new Npgsql.NpgsqlParameter { Value = _options.Lease });
        Guid id;
        bool wasRunning;
        await using (var reader = await claim.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }
            (id, wasRunning) = (reader.GetGuid(0), reader.GetBoolean(1));
        }
        var operation = await catalog.Operations.AsNoTracking().SingleAsync(o => o.Id == id, cancellationToken);
        return (operation, wasRunning);
    }

    private async Task RunAsync(Operation operation, bool wasRunning, CancellationToken stoppingToken)
    {
        using var lease = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var renewal = RenewAsync(operation.Id, lease);
        var run = new OperationRun(operation, _instance, scopes);
        using (logger.BeginScope(new Dictionary<string, object> { ["OperationId"] = operation.Id, ["OperationKind"] = operation.Kind }))
        using (faults.Use(operation.FaultPlan, operation.Id))
        {
            try
            {
                var handler = _handlers[operation.Kind];
                if (wasRunning)
                {
                    logger.LogWarning("Recovering {Kind} operation {OperationId} left in phase {Phase} by an instance that stopped",
                        operation.Kind, operation.Id, operation.Phase);
                    await handler.RecoverAsync(run, lease.Token);
                }
                else
                {
                    await handler.RunAsync(run, lease.Token);
                }
            }
            catch (Exception exception) when (lease.IsCancellationRequested || exception is OperationLeaseLostException)
            {
                logger.LogWarning("Operation {OperationId} stopped in phase {Phase} ({Reason}); it is resumed where it stands",
                    operation.Id, operation.Phase, exception.Message);
            }
            catch (Exception exception)
            {
                // Handlers finish their own operations; one that escaped is retried after a pause, never dropped.
                logger.LogError(exception, "Operation {OperationId} failed in phase {Phase}; it will be retried", operation.Id, operation.Phase);
                await ReleaseAsync(operation.Id, _options.RetryAfterFailure);
            }
            finally
            {
                await lease.CancelAsync();
                await renewal;
                _running.TryRemove(operation.Id, out _);
                if (stoppingToken.IsCancellationRequested)
                {
                    // Stopping, not dying: hand the operation over at once instead of after the lease runs out.
                    await ReleaseAsync(operation.Id, TimeSpan.Zero);
                }
                Wake();
            }
        }
    }

    private async Task RenewAsync(Guid operationId, CancellationTokenSource lease)
    {
        try
        {
            while (!lease.IsCancellationRequested)
            {
                await Task.Delay(_options.LeaseRenewal, lease.Token);
                await using var scope = scopes.CreateAsyncScope();
                var catalog = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
                var until = DateTimeOffset.UtcNow + _options.Lease;
                var renewed = await catalog.Operations
                    .Where(o => o.Id == operationId && o.LeaseOwner == _instance && o.Status == OperationStatus.Running)
                    .ExecuteUpdateAsync(set => set.SetProperty(o => o.LeaseExpiresAt, until), CancellationToken.None);
                if (renewed == 0)
                {
                    await lease.CancelAsync();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception exception)
        {
            // The catalog is out of reach: stop working on it before the lease runs out and another instance starts.
            logger.LogWarning(exception, "Could not renew the lease on operation {OperationId}; stopping it", operationId);
            await lease.CancelAsync();
        }
    }

    /// <summary>Gives the lease up so any instance can take the operation again after <paramref name="after"/>.</summary>
    private async Task ReleaseAsync(Guid operationId, TimeSpan after)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var catalog = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
            var at = DateTimeOffset.UtcNow + after;
            await catalog.Operations
                .Where(o => o.Id == operationId && o.LeaseOwner == _instance && o.Status == OperationStatus.Running)
                .ExecuteUpdateAsync(set => set.SetProperty(o => o.LeaseExpiresAt, at), CancellationToken.None);
        }
        catch (Exception exception)
        {
            logger.LogWarning(exception, "Could not release the lease on operation {OperationId}; it expires on its own", operationId);
        }
    }

    private static string Truncate(string value, int length) => value.Length <= length ? value : value[..length];
}
