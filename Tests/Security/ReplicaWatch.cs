using System.Diagnostics;
using System.Net;

namespace TieredTenancy.Tests.Security;

/// <summary>Asks every Api replica the same thing until each gives the expected answer, and says how long that took.</summary>
public static class ReplicaWatch
{
    /// <summary>
    /// Polls <paramref name="path"/> on each replica until it answers <paramref name="expected"/>
    /// (as problem details, for an error); returns the time on <paramref name="clock"/> when the last one did.
    /// Fails once <paramref name="limit"/> has passed on the clock.
    /// </summary>
    public static async Task<TimeSpan> UntilEveryReplicaAnswersAsync(IReadOnlyList<HttpClient> replicas, string path, HttpStatusCode expected,
        TimeSpan limit, Stopwatch clock)
    {
        foreach (var replica in replicas)
        {
            while (true)
            {
                using var response = await replica.GetAsync(path);
                if (response.StatusCode == expected)
                {
                    if ((int)expected >= 400)
                    {
                        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                    }
                    break;
                }
                Assert.True(clock.Elapsed < limit, $"{replica.BaseAddress}{path.TrimStart('/')} still answered {(int)response.StatusCode} after {clock.ElapsedMilliseconds} ms");
                await Task.Delay(10);
            }
        }
        return clock.Elapsed;
    }
}
