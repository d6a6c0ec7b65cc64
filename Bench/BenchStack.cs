using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace TieredTenancy.Bench;

/// <summary>
/// The whole stack started through Aspire's testing host the way the end-to-end tests start it
/// (Tests/Stack/StackFixture.cs): Local mode, throwaway data, logs reduced to warnings; and the Api's
/// plain baseline endpoints mapped (<c>Bench:PlainEndpoints</c>, see Api/Baseline).
/// </summary>
public sealed class BenchStack : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    private BenchStack(DistributedApplication app, TimeSpan coldStart)
    {
        App = app;
        ColdStart = coldStart;
    }

    public DistributedApplication App { get; }

    /// <summary>From CreateAsync to every resource (and every Api replica) healthy.</summary>
    public TimeSpan ColdStart { get; }

    /// <summary>When each resource first ran, answered healthy or finished during the cold start.</summary>
    public IReadOnlyList<string> StartLines { get; private init; } = [];

    public static async Task<BenchStack> StartAsync()
    {
        var clock = Stopwatch.StartNew();
        string[] args = ["--Infrastructure:Mode=Local", "--Infrastructure:Ephemeral=true", "--Bench:PlainEndpoints=true"];
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(args).WaitAsync(Timeout);
        builder.Services.AddLogging(logging => logging
            .SetMinimumLevel(LogLevel.Warning)
            .AddFilter("AppHost.Resources", LogLevel.Warning)
            .AddFilter("Aspire.Hosting", LogLevel.Warning)
            .AddFilter("Microsoft", LogLevel.Warning)
            .AddFilter("System.Net.Http.HttpClient", LogLevel.Warning));
        // Logs go to standard error, so standard output carries only the result table.
        builder.Services.Configure<ConsoleLoggerOptions>(console => console.LogToStandardErrorThreshold = LogLevel.Trace);

        var app = await builder.BuildAsync().WaitAsync(Timeout);
        var timeline = new StartupTimeline(clock);
        using var watching = new CancellationTokenSource();
        var watcher = timeline.WatchAsync(app, watching.Token);
        try
        {
            await app.StartAsync().WaitAsync(Timeout);
            await app.ResourceNotifications.WaitForResourceHealthyAsync("provisioner").WaitAsync(Timeout);
            await ResourceHealth.WaitForAllAsync(app, Timeout);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        var coldStart = clock.Elapsed;
        await watching.CancelAsync();
        await watcher;
        return new BenchStack(app, coldStart) { StartLines = timeline.Lines().ToList() };
    }

    /// <summary>An HTTP client for the Provisioner carrying a platform-admin token (client credentials).</summary>
    public async Task<HttpClient> AdminClientAsync()
    {
        var token = await TokenAsync("platform-admin", await ParameterAsync("platform-admin-secret"));
        var admin = App.CreateHttpClient("provisioner");
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return admin;
    }

    /// <summary>
    /// Every plan's request limits raised out of reach (plans are data): the throughput, move and
    /// archive measurements load single tenants far past their plan's rate on purpose.
    /// </summary>
    public async Task LiftRequestLimitsAsync()
    {
        using var admin = await AdminClientAsync();
        foreach (var plan in (await admin.GetFromJsonAsync<JsonElement>("/admin/plans")).EnumerateArray())
        {
            var limits = plan.GetProperty("limits");
            using var response = await admin.PutAsJsonAsync($"/admin/plans/{plan.GetProperty("name").GetString()}/limits", new
            {
                requestsPerMinute = 1_000_000, requestBurst = 100_000, concurrentRequests = 10_000,
                maxProjects = limits.GetProperty("maxProjects").GetInt32(), storageMegabytes = limits.GetProperty("storageMegabytes").GetInt32(),
            });
            response.EnsureSuccessStatusCode();
        }
    }

    /// <summary>An access token from the Provisioner's <c>/connect/token</c> (client credentials).</summary>
    public async Task<string> TokenAsync(string clientId, string clientSecret)
    {
        using var anonymous = App.CreateHttpClient("provisioner");
        using var response = await anonymous.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = clientId,
            ["client_secret"] = clientSecret,
        })).WaitAsync(Timeout);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"The token request for '{clientId}' answered {(int)response.StatusCode}: {body}");
        }
        return JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!;
    }

    /// <summary>A connection string Aspire hands the services (the server's superuser).</summary>
    public async Task<string> ConnectionStringAsync(string resourceName) =>
        await App.GetConnectionStringAsync(resourceName).AsTask().WaitAsync(Timeout)
        ?? throw new InvalidOperationException($"'{resourceName}' has no connection string.");

    private async Task<string> ParameterAsync(string name)
    {
        var parameter = App.Services.GetRequiredService<DistributedApplicationModel>().Resources
            .OfType<ParameterResource>()
            .Single(p => p.Name == name);
        return await parameter.GetValueAsync(CancellationToken.None).AsTask().WaitAsync(Timeout)
            ?? throw new InvalidOperationException($"Parameter '{name}' has no value.");
    }

    public ValueTask DisposeAsync() => App.DisposeAsync();
}
