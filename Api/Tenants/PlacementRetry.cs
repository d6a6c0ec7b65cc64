using Microsoft.AspNetCore.Http.Features;
using Npgsql;
using TieredTenancy.Api.Idempotency;
using TieredTenancy.Api.Isolation;
using TieredTenancy.Tenancy.Data;
using TieredTenancy.Tenancy.Http;
using TieredTenancy.Tenancy.Isolation;
using TieredTenancy.Tenancy.Storage;

namespace TieredTenancy.Api.Tenants;

/// <summary>
/// A request refused by storage because the tenant moved or was migrated under this replica's cached entry runs again,
/// on a fresh registry entry and a new scope: the client sees a success, a little later, and nothing was written at the old
/// placement (the fence refused it in the same transaction). A refusal the registry does not explain yet is waited out briefly.
/// A request whose connection the server cut (backends terminated, a failover, a restart) runs again once on a fresh
/// connection, the pool's other connections dropped, if it provably changed nothing yet (<see cref="TenantDataContext.MayHaveCommitted"/>)
/// or running it again is harmless (a PUT, or a create with an <see cref="IdempotencyKey"/>); one that cannot run again answers 503
/// with Retry-After, never a 500.
/// </summary>
public sealed class PlacementRetry(RequestDelegate next, TenantRegistryCache registry, TenantStorage storage, IServiceScopeFactory scopes,
    ILogger<PlacementRetry> logger)
{
    private const int MaxAttempts = 3;
    private static readonly TimeSpan FlipWait = TimeSpan.FromSeconds(10);

    public async Task InvokeAsync(HttpContext http)
    {
        var requestTenant = http.RequestServices.GetRequiredService<RequestTenant>();
        if (!requestTenant.IsResolved)
        {
            await next(http);
            return;
        }
        // Bodies are small (64 KiB at most): kept, so a retry can read them again. A request that cannot
        // have one (a GET without Content-Length or Transfer-Encoding) has nothing to keep.
        if (http.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody ?? true)
        {
            http.Request.EnableBuffering();
        }
        var requestServices = http.RequestServices;
        var retryScopes = new List<AsyncServiceScope>();
        try
        {
            var reconnected = false;
            for (var attempt = 1; ; attempt++)
            {
                ResolvedTenant entry;
                try
                {
                    await next(http);
                    return;
                }
                catch (Exception exception) when (!http.Response.HasStarted && DroppedConnections.IsDropped(exception))
                {
                    storage.DropPooledConnections(requestTenant.Tenant);
                    if (reconnected || attempt >= MaxAttempts || (MayHaveCommitted(http, exception) && !Replayable(http)))
                    {
                        logger.LogWarning(exception, "The connection of {Method} {Path} was cut and the request cannot run again", http.Request.Method, http.Request.Path);
                        http.Response.Headers.RetryAfter = "1";
                        await Problems.Unavailable("The tenant's storage dropped the connection; retry in a moment.").ExecuteAsync(http);
                        return;
                    }
                    reconnected = true;
                    logger.LogInformation("The connection of {Method} {Path} was cut before anything committed; running it again on a fresh one",
                        http.Request.Method, http.Request.Path);
                    entry = requestTenant.Tenant;
                }
                catch (Exception exception) when (attempt < MaxAttempts && !http.Response.HasStarted && IsPlacementRefusal(exception))
                {
                    var stale = requestTenant.Tenant;
                    var fresh = await MovedEntryAsync(stale, http.RequestAborted);
                    if (fresh is null)
                    {
                        if (!IsFenced(exception))
                        {
                            throw;
                        }
                        http.Response.Headers.RetryAfter = "1";
                        await Problems.Unavailable("The tenant is being moved to another placement; retry in a moment.").ExecuteAsync(http);
                        return;
                    }
                    logger.LogInformation("Tenant {TenantId} moved from epoch {Stale} to {Fresh}; retrying {Method} {Path} there",
                        stale.Id, stale.Placement.Epoch, fresh.Placement.Epoch, http.Request.Method, http.Request.Path);
                    entry = fresh;
                }
                var scope = scopes.CreateAsyncScope();
                retryScopes.Add(scope);
                http.RequestServices = scope.ServiceProvider;
                if (TenantResolution.Enter(scope.ServiceProvider, entry, requestTenant.Actor) is { } refusal)
                {
                    await refusal.ExecuteAsync(http);
                    return;
                }
                requestTenant = scope.ServiceProvider.GetRequiredService<RequestTenant>();
                if (http.Request.Body.CanSeek)
                {
                    http.Request.Body.Position = 0;
                }
            }
        }
        finally
        {
            http.RequestServices = requestServices;
            foreach (var scope in retryScopes)
            {
                await scope.DisposeAsync();
            }
        }
    }

    /// <summary>The tenant's entry once the registry names a newer placement, storage version or login than <paramref name="stale"/>; null if it does not within the wait.</summary>
    private async Task<ResolvedTenant?> MovedEntryAsync(ResolvedTenant stale, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + FlipWait;
        while (true)
        {
            var fresh = await registry.RefreshAsync(stale.Id, cancellationToken);
            if (fresh is null)
            {
                return null;
            }
            // Moved, migrated, given new credentials, or no longer served (suspended, offboarded): either way the stale entry is done with.
            if (fresh.Placement.Epoch > stale.Placement.Epoch || fresh.StorageVersion != stale.StorageVersion || fresh.Placement.Role != stale.Placement.Role
                || !fresh.IsServed)
            {
                return fresh;
            }
            if (DateTime.UtcNow > deadline)
            {
                return null;
            }
            await Task.Delay(100, cancellationToken);
        }
    }

    // What an old placement answers once the tenant left it: its fence, or (after cleanup) a missing
    // role, schema, table, database or login; and what storage of another shape answers: a missing
    // column. Each leads to a retry only if the registry shows the change.
    private static readonly HashSet<string> RefusalStates =
    [
        PlacementFence.RetiredSqlState,
        PostgresErrorCodes.InvalidCatalogName,
        PostgresErrorCodes.InvalidSchemaName,
        PostgresErrorCodes.UndefinedTable,
        PostgresErrorCodes.UndefinedColumn,
        PostgresErrorCodes.InvalidParameterValue,
        PostgresErrorCodes.InvalidPassword,
        PostgresErrorCodes.InvalidAuthorizationSpecification,
    ];

    // Only the request's tenant data context writes; one never opened changed nothing. A commit in flight when the
    // session ended may have been made, except when the server itself answered it with the end of the session (57P01,
    // FATAL): PostgreSQL holds interrupts through a commit and acknowledges it before it next looks at one, so a
    // termination answered in its place means the transaction was rolled back. A lost socket says nothing.
    private static bool MayHaveCommitted(HttpContext http, Exception exception) =>
        http.RequestServices.GetRequiredService<TenantDataContext>() is var data
        && (data.HasCommitted || (data.MayHaveCommitted && !EndedBeforeCommit(exception)));

    // Running it again changes nothing more than running it once: a PUT (it sets a state), or a create with an Idempotency-Key on a route that honours it.
    private static bool Replayable(HttpContext http) =>
        HttpMethods.IsPut(http.Request.Method)
        || (http.Request.Headers.ContainsKey(IdempotencyKey.HeaderName) && http.GetEndpoint()?.Metadata.GetMetadata<HonorsIdempotencyKey>() is not null);

    private static bool EndedBeforeCommit(Exception exception) =>
        Postgres(exception) is { SqlState: PostgresErrorCodes.AdminShutdown, InvariantSeverity: "FATAL" };

    private static bool IsPlacementRefusal(Exception exception) => Postgres(exception) is { } postgres && RefusalStates.Contains(postgres.SqlState);

    private static bool IsFenced(Exception exception) => Postgres(exception)?.SqlState == PlacementFence.RetiredSqlState;

    private static PostgresException? Postgres(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is PostgresException postgres)
            {
                return postgres;
            }
        }
        return null;
    }
}
