using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;

namespace TieredTenancy.Tests.Stack;

/// <summary>
/// The promise that a registry change (a suspension, a revocation, a plan change) holds on every
/// replica within a second, measured by the services' own clocks: each replica records when it
/// applied a change against when the Provisioner published it (<c>/testing/registry-changes</c>).
/// A loaded machine may slow the test's own polling; it does not move these two timestamps.
/// </summary>
public static class RegistryChangeWatch
{
    public static readonly TimeSpan Promise = TimeSpan.FromSeconds(1);

    /// <summary>How long a test waits for a change to show at all before it fails.</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Waits until every healthy replica of <paramref name="resource"/> has applied <paramref name="change"/> as
    /// published at or after <paramref name="since"/>; asserts each did within <see cref="Promise"/>; returns the delays in ms.
    /// </summary>
    public static async Task<IReadOnlyList<double>> AppliedEverywhereAsync(DistributedApplication app, string resource, int replicas, string change,
        DateTimeOffset since)
    {
        var delays = new List<double>();
        foreach (var address in await Replicas.BaseAddressesAsync(app, resource, replicas))
        {
            using var client = new HttpClient { BaseAddress = address };
            JsonElement? applied = null;
            await Eventually.TrueAsync(async () =>
            {
                var entries = await client.GetFromJsonAsync<JsonElement>($"/testing/registry-changes?change={Uri.EscapeDataString(change)}");
                applied = entries.EnumerateArray()
                    .Where(entry => entry.GetProperty("publishedAt").ValueKind == JsonValueKind.String
                        && entry.GetProperty("publishedAt").GetDateTimeOffset() >= since.AddMilliseconds(-5))
                    .Select(entry => (JsonElement?)entry)
                    .FirstOrDefault();
                return applied is not null;
            }, Deadline, $"{resource} at {address} should apply '{change}' published after {since:HH:mm:ss.fff}");
            var delay = applied!.Value.GetProperty("delayMilliseconds").GetDouble();
            Assert.True(delay <= Promise.TotalMilliseconds,
                $"{resource} at {address} applied '{change}' {delay:0} ms after it was published (promised within {Promise.TotalMilliseconds:0} ms)");
            delays.Add(delay);
        }
        return delays;
    }
}
