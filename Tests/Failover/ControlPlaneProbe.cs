using Aspire.Hosting;
using Aspire.Hosting.Testing;
using TieredTenancy.Tests.Stack;

namespace TieredTenancy.Tests.Failover;

/// <summary>
/// An operator and a client at work on the Provisioner through its proxy, as a product team would be
/// while a replica dies: a new platform-admin token and a read of a tenant, in turn, until stopped.
/// A request whose connection failed without an answer (refused, or closed before any response: the
/// proxy still sending to the dead replica for a moment) is tried up to three times, as a client behind a
/// load balancer would; every answer that is not a success, and a third such failure, is a failure.
/// </summary>
public sealed class ControlPlaneProbe : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private ControlPlaneProbe(HttpClient anonymous, HttpClient admin, string secret, string tenantId)
    {
        (_anonymous, _admin) = (anonymous, admin);
        _loop = RunAsync(secret, tenantId);
    }

    private readonly HttpClient _anonymous;
    private readonly HttpClient _admin;

    public List<string> Failures { get; } = [];

    public int Answered { get; private set; }

    /// <summary>Starts the probe with its clients and the admin's token taken while every replica is up.</summary>
    public static async Task<ControlPlaneProbe> StartAsync(DistributedApplication app, string tenantId) =>
        new(app.CreateHttpClient("provisioner"), await app.AdminClientAsync(), await app.ParameterAsync("platform-admin-secret"), tenantId);

    private async Task RunAsync(string secret, string tenantId)
    {
        while (!_stop.IsCancellationRequested)
        {
            await SendAsync("token", () => _anonymous.RequestTokenAsync("platform-admin", secret));
            await SendAsync("tenant", () => _admin.GetAsync($"/admin/tenants/{tenantId}"));
            await Task.Delay(100);
        }
    }

    public int RetriedConnections { get; private set; }

    private const int ConnectionAttempts = 3;

    private async Task SendAsync(string what, Func<Task<HttpResponseMessage>> send)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var response = await send();
                Record(what, response);
                return;
            }
            // The proxy may hand the next attempt to the dead replica too (other clients' requests interleave): a client
            // behind a load balancer tries a few times, a little apart, before it calls the service down.
            catch (HttpRequestException error) when (attempt < ConnectionAttempts && error.InnerException is System.Net.Sockets.SocketException or IOException)
            {
                RetriedConnections++;
                await Task.Delay(50 * attempt);
            }
            catch (HttpRequestException error)
            {
                Failures.Add($"{what}: {error.Message} ({error.InnerException?.GetType().Name}: {error.InnerException?.Message}) after {attempt} attempts");
                return;
            }
        }
    }

    private void Record(string what, HttpResponseMessage response)
    {
        if (response.IsSuccessStatusCode)
        {
            Answered++;
        }
        else
        {
            Failures.Add($"{what}: {(int)response.StatusCode}");
        }
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _anonymous.Dispose();
        _admin.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync();
        }
        _stop.Dispose();
    }
}
