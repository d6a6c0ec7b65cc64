using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TieredTenancy.Provisioner.Faults;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Operations;

/// <summary>
/// Runs durable operations in the background. Any Provisioner instance may run any operation: it
/// claims one by taking its lease in the catalog (FOR UPDATE SKIP LOCKED, so two instances never
/// claim the same), which starts a new attempt (the operation's fencing number), ends whatever
/// older attempts still run, renews the lease while it works, and gives it up when it stops. An
/// operation still marked running whose lease has expired was left by an attempt that died or
/// stalled: the next claim, on any instance (this one too), asks its handler to recover it.
/// </summary>
public sealed class OperationRunner(
    IServiceScopeFactory scopes,
    OlderAttempts olderAttempts,
    FaultInjection faults,
    IOptions<OperationOptions> options,
    ILogger<OperationRunner> logger) : BackgroundService
{
    private readonly string _instance = Truncate($"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}", 100);
    private readonly OperationOptions _options = options.Value;
    private readonly ConcurrentDictionary<OperationAttempt, Task> _running = new();
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
                    var attempt = new OperationAttempt(claimed.Operation.Id, claimed.Operation.Attempts);
                    _running[attempt] = Task.Run(async () =>
                    {
                        await registered.Task;
                        attempt.Enter(_options.StatementTimeout);
                        await RunAsync(claimed.Operation, attempt, claimed.WasRunning, stoppingToken);
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
              ORDER BY started_at
              LIMIT 1
              FOR UPDATE SKIP LOCKED)
            , claimed AS (
              UPDATE operations o
              SET lease_owner = $1, lease_expires_at = now() + $2, status = 'Running', attempts = o.attempts + 1, updated_at = now()
              FROM next WHERE o.id = next.id
              RETURNING o.id, o.attempts, next.status = 'Running' AS was_running)
            , history AS (
              INSERT INTO operation_claims (operation_id, attempt, instance, claimed_at, ended_backends)
              SELECT id, attempts, $1, now(), 0 FROM claimed)
            SELECT id, was_running FROM claimed
            """, connection);
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

    private async Task RunAsync(Operation operation, OperationAttempt attempt, bool wasRunning, CancellationToken stoppingToken)
    {
        using var lease = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var superseded = new System.Runtime.CompilerServices.StrongBox<bool>();
        var renewal = RenewAsync(attempt, lease, superseded);
        var run = new OperationRun(operation, attempt, scopes);
        var outcome = "stopped";
        using (logger.BeginScope(new Dictionary<string, object> { ["OperationId"] = operation.Id, ["OperationKind"] = operation.Kind, ["Attempt"] = attempt.Attempt }))
        using (faults.Use(operation.FaultPlan, operation.Id))
        {
            try
            {
                await FenceOlderAttemptsAsync(attempt, lease.Token);
                await using var scope = scopes.CreateAsyncScope();
                var handler = scope.ServiceProvider.HandlerOf(operation.Kind);
                if (wasRunning)
                {
                    logger.LogWarning("Recovering {Kind} operation {OperationId} left in phase {Phase} by an attempt that stopped",
                        operation.Kind, operation.Id, operation.Phase);
                    await handler.RecoverAsync(run, lease.Token);
                }
                else
                {
                    await handler.RunAsync(run, lease.Token);
                }
                outcome = run.Operation.Status.ToString();
            }
            catch (OperationLeaseLostException exception)
            {
                outcome = "superseded";
                logger.LogWarning("Attempt {Attempt} of operation {OperationId} stopped in phase {Phase}: {Reason}",
                    attempt.Attempt, operation.Id, operation.Phase, exception.Message);
            }
            catch (Exception exception) when (lease.IsCancellationRequested)
            {
                // The renewal may find a newer attempt before the handler's next write does.
                outcome = superseded.Value ? "superseded" : outcome;
                logger.LogWarning("Operation {OperationId} stopped in phase {Phase} ({Reason}); it is resumed where it stands",
                    operation.Id, operation.Phase, exception.Message);
            }
            catch (Exception exception)
            {
                // Handlers finish their own operations; one that escaped is retried after a pause, never dropped.
                outcome = "retried";
                logger.LogError(exception, "Operation {OperationId} failed in phase {Phase}; it will be retried", operation.Id, operation.Phase);
                await ReleaseAsync(attempt, _options.RetryAfterFailure);
            }
            finally
            {
                await lease.CancelAsync();
                await renewal;
                _running.TryRemove(attempt, out _);
                if (stoppingToken.IsCancellationRequested)
                {
                    // Stopping, not dying: hand the operation over at once instead of after the lease runs out.
                    await ReleaseAsync(attempt, TimeSpan.Zero);
                }
                await RecordOutcomeAsync(attempt, outcome);
                Wake();
            }
        }
    }

    /// <summary>Before the attempt's first step: whatever older attempts still run is ended, and the fence names this one.</summary>
    private async Task FenceOlderAttemptsAsync(OperationAttempt attempt, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var catalog = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
        await catalog.Database.OpenConnectionAsync(cancellationToken);
        var ended = await olderAttempts.EndAsync(attempt, (Npgsql.NpgsqlConnection)catalog.Database.GetDbConnection(), cancellationToken);
        var now = DateTimeOffset.UtcNow;
        await catalog.OperationClaims.Where(c => c.OperationId == attempt.OperationId && c.Attempt == attempt.Attempt)
            .ExecuteUpdateAsync(set => set.SetProperty(c => c.EndedBackends, ended).SetProperty(c => c.FencedAt, now), cancellationToken);
    }

    private async Task RecordOutcomeAsync(OperationAttempt attempt, string outcome)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var catalog = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
            var now = DateTimeOffset.UtcNow;
            var spelled = char.ToLowerInvariant(outcome[0]) + outcome[1..];
            await catalog.OperationClaims.Where(c => c.OperationId == attempt.OperationId && c.Attempt == attempt.Attempt)
                .ExecuteUpdateAsync(set => set.SetProperty(c => c.EndedAt, now).SetProperty(c => c.Outcome, spelled), CancellationToken.None);
        }
        catch (Exception exception)
        {
            logger.LogWarning(exception, "Could not record how attempt {Attempt} of operation {OperationId} ended", attempt.Attempt, attempt.OperationId);
        }
    }

    private async Task RenewAsync(OperationAttempt attempt, CancellationTokenSource lease, System.Runtime.CompilerServices.StrongBox<bool> superseded)
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
                    .Where(o => o.Id == attempt.OperationId && o.Attempts == attempt.Attempt && o.Status == OperationStatus.Running)
                    .ExecuteUpdateAsync(set => set.SetProperty(o => o.LeaseExpiresAt, until), CancellationToken.None);
                if (renewed == 0)
                {
                    superseded.Value = true;
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
            logger.LogWarning(exception, "Could not renew the lease on operation {OperationId}; stopping it", attempt.OperationId);
            await lease.CancelAsync();
        }
    }

    /// <summary>Gives the lease up so any instance can take the operation again after <paramref name="after"/>.</summary>
    private async Task ReleaseAsync(OperationAttempt attempt, TimeSpan after)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var catalog = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
            var at = DateTimeOffset.UtcNow + after;
            await catalog.Operations
                .Where(o => o.Id == attempt.OperationId && o.Attempts == attempt.Attempt && o.Status == OperationStatus.Running)
                .ExecuteUpdateAsync(set => set.SetProperty(o => o.LeaseExpiresAt, at), CancellationToken.None);
        }
        catch (Exception exception)
        {
            logger.LogWarning(exception, "Could not release the lease on operation {OperationId}; it expires on its own", attempt.OperationId);
        }
    }

    private static string Truncate(string value, int length) => value.Length <= length ? value : value[..length];
}
