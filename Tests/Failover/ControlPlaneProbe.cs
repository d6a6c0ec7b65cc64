using Aspire.Hosting;
using Aspire.Hosting.Testing;
using TieredTenancy.Tests.Stack;

namespace TieredTenancy.Tests.Failover;

/// <summary>
/// An operator and a client at work on the Provisioner through its proxy, as a product team would be
/// while a replica dies: a new platform-admin token and a read of a tenant, in turn, until stopped.
/// A refused connection (the proxy still sending to the dead replica's port: the request never
/// reached a server) is tried once more, as a client behind a load balancer would; every other
/// answer that is not a success, and a second refusal, is a failure.
/// </summary>
public sealed class ControlPlaneProbe : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private ControlPlaneProbe(DistributedApplication app, string tenantId) => _loop = RunAsync(app, tenantId);

    public List<string> Failures { get; } = [];

    public int Answered { get; private set; }

    public static ControlPlaneProbe Start(DistributedApplication app, string tenantId) => new(app, tenantId);

    private async Task RunAsync(DistributedApplication app, string tenantId)
    {
        var secret = await app.ParameterAsync("platform-admin-secret");
        using var anonymous = app.CreateHttpClient("provisioner");
        using var admin = await app.AdminClientAsync();
        while (!_stop.IsCancellationRequested)
        {
            await SendAsync("token", () => anonymous.RequestTokenAsync("platform-admin", secret));
            await SendAsync("tenant", () => admin.GetAsync($"/admin/tenants/{tenantId}"));
            await Task.Delay(100);
        }
    }

    public int RetriedRefusals { get; private set; }

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
            catch (HttpRequestException error) when (attempt == 1 && error.InnerException is System.Net.Sockets.SocketException
                { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused })
            {
                RetriedRefusals++;
            }
            catch (HttpRequestException error)
            {
                Failures.Add($"{what}: {error.Message}");
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
