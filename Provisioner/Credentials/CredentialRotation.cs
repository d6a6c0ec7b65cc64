using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using TieredTenancy.Provisioner.Broadcast;
using TieredTenancy.Provisioner.Faults;
using TieredTenancy.Provisioner.Operations;
using TieredTenancy.Provisioner.Servers;
using TieredTenancy.Provisioner.Storage;
using TieredTenancy.Provisioner.Tenants;
using TieredTenancy.Tenancy.Plans;
using TieredTenancy.Tenancy.Registry;
using TieredTenancy.Tenancy.Storage;

namespace TieredTenancy.Provisioner.Credentials;

/// <summary>What a rotation replaces: the login the placement named when it was asked for.</summary>
public sealed record RotationParameters(string PreviousLogin);

/// <summary>How far a rotation got. The new credentials are kept encrypted, as the placement keeps them.</summary>
public sealed class RotationState
{
    public string? ProtectedCredentials { get; set; }

    public RotationReport Report { get; set; } = new();
}

/// <summary>What the operation shows (no secret): which login replaced which, and how the old one went.</summary>
public sealed class RotationReport
{
    public string PreviousLogin { get; set; } = "";

    public string? Login { get; set; }

    public DateTimeOffset? SwitchedAt { get; set; }

    /// <summary>From the switch until no session of the old login was left (or the wait ran out).</summary>
    public long? DrainMilliseconds { get; set; }

    /// <summary>Sessions of the old login still open when the wait ran out, ended by the Provisioner.</summary>
    public int EndedSessions { get; set; }

    public DateTimeOffset? PreviousLoginDroppedAt { get; set; }
}

/// <summary>
/// Rotates a database-tier tenant's credentials without a failed request: a second login beside the
/// first → the placement switches to it and replicas drop their pools → the old login's sessions
/// drain (then are ended) → the old login is dropped. A new login, not a new password, since that
/// would refuse at once every replica still holding the old one. Idempotent steps, resumed at restart.
/// </summary>
public sealed class CredentialRotation(
    CatalogDbContext catalog,
    TenantLogins logins,
    TenantServers servers,
    RegistryBroadcast broadcast,
    FaultInjection faults,
    IOptions<CredentialOptions> options,
    ILogger<CredentialRotation> logger) : IOperationHandler
{

    public Task RunAsync(OperationRun run, CancellationToken cancellationToken) => ContinueAsync(run, cancellationToken);

    public Task RecoverAsync(OperationRun run, CancellationToken cancellationToken) => ContinueAsync(run, cancellationToken);

    public Task<string?> RefuseResumeAsync(Operation operation, CatalogDbContext catalog, CancellationToken cancellationToken) =>
        Task.FromResult<string?>("A credential rotation is carried to its end by the Provisioner; ask for a new one instead.");

    public Task PrepareResumeAsync(Operation operation, CatalogDbContext catalog, CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task ContinueAsync(OperationRun run, CancellationToken cancellationToken)
    {
        var parameters = run.Parameters<RotationParameters>();
        var state = run.State<RotationState>();
        state.Report.PreviousLogin = parameters.PreviousLogin;
        var tenant = await catalog.Tenants.SingleAsync(t => t.Id == run.TenantId, cancellationToken);
        if (tenant.Isolation != IsolationKind.Database)
        {
            throw new InvalidOperationException($"Tenant {tenant.Id} is not at database isolation; its credentials cannot rotate.");
        }
        var placement = tenant.Placement;

        await EnterAsync(run, "creating-login", cancellationToken);
        if (state.ProtectedCredentials is null)
        {
            // Recorded before the login exists, so a crash after CREATE ROLE still knows its name (and removes or uses it).
            var login = TenantNames.RotatedDatabaseRole(tenant.Id);
            state.ProtectedCredentials = logins.Protect(placement.Database, login, TenantLogins.NewPassword());
            state.Report.Login = login;
            await run.SaveStateAsync(state, cancellationToken);
        }
        var credentials = logins.Unprotect(state.ProtectedCredentials);
        // Every step that changes a login or the placement runs fenced: a superseded attempt is refused by the catalog first.
        await run.FencedAsync(async (_, token) =>
        {
            await using var connection = await servers.OpenDedicatedAdminAsync(placement.Server, token);
            await logins.CreateAsync(connection, credentials.Username!, credentials.Password!, token);
            await TenantLogins.GrantAsync(connection, placement.Database, credentials.Username!, token);
        }, cancellationToken);

        await EnterAsync(run, "switching", cancellationToken);
        if (placement.Role != credentials.Username)
        {
            if (placement.Role != parameters.PreviousLogin)
            {
                throw new InvalidOperationException($"The placement names login {placement.Role}, neither the one rotated ({parameters.PreviousLogin}) nor its successor.");
            }
            await run.FencedAsync(async (fenced, token) =>
            {
                var switched = await fenced.Catalog.Tenants.SingleAsync(t => t.Id == tenant.Id, token);
                switched.Placement.Role = credentials.Username;
                switched.Placement.ProtectedConnectionString = state.ProtectedCredentials;
                switched.UpdatedAt = DateTimeOffset.UtcNow;
            }, cancellationToken);
        }
        // Again on a recovery too: a crash between the commit and the broadcast would leave replicas on the old login until the drain ends it.
        await broadcast.TenantChangedAsync(tenant.Id);
        state.Report.SwitchedAt ??= DateTimeOffset.UtcNow;
        await run.SaveStateAsync(state, cancellationToken);

        await EnterAsync(run, "draining", cancellationToken);
        await using (var connection = await servers.OpenDedicatedAdminAsync(placement.Server, cancellationToken))
        {
            await DrainAsync(connection, parameters.PreviousLogin, state.Report, cancellationToken);
        }
        await run.SaveStateAsync(state, cancellationToken);

        await EnterAsync(run, "dropping-login", cancellationToken);
        // The audit entry commits with the fence: recorded once, by the attempt that dropped the login.
        await run.FencedAsync(async (fenced, token) =>
        {
            await using var connection = await servers.OpenDedicatedAdminAsync(placement.Server, token);
            await TenantLogins.DropAsync(connection, placement.Database, parameters.PreviousLogin, token);
            fenced.Audit.Record("tenant.credentials.rotate", tenant.Id,
                $"operation={run.Id} login={parameters.PreviousLogin}->{credentials.Username} ended_sessions={state.Report.EndedSessions}", run.Operation.Actor);
        }, cancellationToken);
        state.Report.PreviousLoginDroppedAt ??= DateTimeOffset.UtcNow;
        await run.SaveStateAsync(state, cancellationToken);
        await run.FinishAsync(OperationStatus.Succeeded, cancellationToken);
        logger.LogInformation("Rotated the credentials of tenant {TenantId}: {Previous} → {Login}, drained in {Drain} ms, {Ended} session(s) ended",
            tenant.Id, parameters.PreviousLogin, credentials.Username, state.Report.DrainMilliseconds, state.Report.EndedSessions);
    }

    /// <summary>
    /// Waits until no session of the old login is left: replicas close their idle pooled
    /// connections of it when the broadcast arrives and the busy ones when their request ends.
    /// After the wait, the old login may not log in again and its remaining sessions are ended.
    /// </summary>
    private async Task DrainAsync(NpgsqlConnection admin, string login, RotationReport report, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + options.Value.DrainWait;
        while (await Sql.ScalarAsync<long>(admin, "SELECT count(*) FROM pg_stat_activity WHERE usename = $1", cancellationToken, login) > 0
               && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(100, cancellationToken);
        }
        if (await Sql.ScalarAsync<int?>(admin, "SELECT 1 FROM pg_roles WHERE rolname = $1", cancellationToken, login) is not null)
        {
            await Sql.ExecuteAsync(admin, $"ALTER ROLE {Sql.Id(login)} NOLOGIN", cancellationToken);
            report.EndedSessions += await Sql.ScalarAsync<int>(admin,
                "SELECT count(*)::int FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1) ended", cancellationToken, login);
        }
        report.DrainMilliseconds ??= (long)(DateTimeOffset.UtcNow - report.SwitchedAt!.Value).TotalMilliseconds;
    }

    private async Task EnterAsync(OperationRun run, string phase, CancellationToken cancellationToken)
    {
        await run.EnterPhaseAsync(phase, cancellationToken);
        await faults.PauseAtAsync(phase, cancellationToken);
    }
}
