using System.Net.Http.Json;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using TieredTenancy.Tests.Stack;

namespace TieredTenancy.Tests.Failover;

/// <summary>
/// An operator and a client at work on the Provisioner through its proxy, as a product team would be
/// while a replica dies: a new platform-admin token and a read of a tenant, in turn, until stopped.
/// Every answer that is not a success is a failure.
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
            try
            {
                using (var token = await anonymous.RequestTokenAsync("platform-admin", secret))
                {
                    Record("token", token);
                }
                using (var read = await admin.GetAsync($"/admin/tenants/{tenantId}"))
                {
                    Record("tenant", read);
                }
            }
            catch (HttpRequestException error)
            {
                Failures.Add(error.Message);
            }
            await Task.Delay(100);
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
