using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using TieredTenancy.Tests.Stack;

namespace TieredTenancy.Tests.Capacity;

/// <summary>
/// A PostgreSQL server's own record of its sessions: <c>log_connections</c> and <c>log_disconnections</c>
/// turned on for the sessions that start from now, read back from the server's log as the AppHost
/// collects it. The most sessions of some logins open at once then comes from the server, in the
/// order it logged them, not from sampling <c>pg_stat_activity</c> (which misses a short overshoot).
/// </summary>
public sealed partial class SessionLog : IAsyncDisposable
{
    private readonly DistributedApplication _app;
    private readonly string _server;
    private readonly ConcurrentQueue<(bool Opened, string Login)> _events = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _watching;

    private SessionLog(DistributedApplication app, string server)
    {
        _app = app;
        _server = server;
        _watching = WatchAsync();
    }

    public static async Task<SessionLog> StartAsync(DistributedApplication app, string server)
    {
        await using (var connection = await app.OpenAsync(server))
        {
            await connection.ExecuteAsync("ALTER SYSTEM SET log_connections = on");
            await connection.ExecuteAsync("ALTER SYSTEM SET log_disconnections = on");
            await connection.ExecuteAsync("SELECT pg_reload_conf()");
        }
        // The postmaster applies the reload on its own time: a new session tells when it has.
        await Eventually.TrueAsync(async () =>
        {
            await using var probe = await app.OpenAsync(server);
            return await probe.ScalarAsync<string>("SHOW log_disconnections") == "on";
        }, TimeSpan.FromSeconds(30), $"{server} should log connections after a reload");
        return new SessionLog(app, server);
    }

    /// <summary>
    /// The most sessions of the matching logins open at once, and how many were opened, once the log
    /// has caught up with what <c>pg_stat_activity</c> shows open now.
    /// </summary>
    public async Task<(int Peak, int Opened)> PeakAsync(Func<string, bool> login)
    {
        await using var server = await _app.OpenAsync(_server);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var events = _events.Where(entry => login(entry.Login)).ToList();
            var open = events.Count(entry => entry.Opened) - events.Count(entry => !entry.Opened);
            var logins = events.Select(entry => entry.Login).Distinct().ToArray();
            var activity = await server.ScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE usename = ANY($1)", (object)logins);
            if (open == activity)
            {
                var (current, peak) = (0, 0);
                foreach (var (opened, _) in events)
                {
                    current += opened ? 1 : -1;
                    peak = Math.Max(peak, current);
                }
                return (peak, events.Count(entry => entry.Opened));
            }
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30),
                $"{_server}'s log shows {open} sessions of the logins open, pg_stat_activity {activity}, after 30 s");
            await Task.Delay(100);
        }
    }

    private async Task WatchAsync()
    {
        var logs = _app.Services.GetRequiredService<ResourceLoggerService>();
        try
        {
            // Logs are kept per resource instance (an executable's id carries a suffix), not per resource name.
            var instance = (await _app.ResourceNotifications.WaitForResourceAsync(_server, _ => true, _stop.Token)).ResourceId;
            await foreach (var batch in logs.WatchAsync(instance).WithCancellation(_stop.Token))
            {
                foreach (var line in batch)
                {
                    if (Authorized().Match(line.Content) is { Success: true } opened)
                    {
                        _events.Enqueue((true, opened.Groups[1].Value));
                    }
                    else if (Disconnected().Match(line.Content) is { Success: true } closed)
                    {
                        _events.Enqueue((false, closed.Groups[1].Value));
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _watching;
        try
        {
            await using var connection = await _app.OpenAsync(_server);
            await connection.ExecuteAsync("ALTER SYSTEM RESET log_connections");
            await connection.ExecuteAsync("ALTER SYSTEM RESET log_disconnections");
            await connection.ExecuteAsync("SELECT pg_reload_conf()");
        }
        catch (Exception exception)
        {
            await Console.Error.WriteLineAsync($"could not reset the session log settings of {_server}: {exception.Message}");
        }
        _stop.Dispose();
    }

    [GeneratedRegex(@"connection authorized: user=(\S+)")]
    private static partial Regex Authorized();

    [GeneratedRegex(@"disconnection: session time: \S+ user=(\S+)")]
    private static partial Regex Disconnected();
}
