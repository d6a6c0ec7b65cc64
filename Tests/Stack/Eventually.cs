using System.Diagnostics;

namespace TieredTenancy.Tests.Stack;

/// <summary>
/// Polls a condition until it holds or a deadline passes: a test waits for what the system did, not
/// for a fixed sleep that a loaded machine may outlast.
/// </summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, Func<Task<string>>? seen = null)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed >= timeout)
            {
                Assert.Fail($"not so after {timeout.TotalSeconds:0.#} s: {what}" + (seen is null ? "" : $"; seen: {await seen()}"));
            }
            await Task.Delay(50);
        }
    }

    public static Task TrueAsync(Func<bool> condition, TimeSpan timeout, string what) =>
        TrueAsync(() => Task.FromResult(condition()), timeout, what);
}
