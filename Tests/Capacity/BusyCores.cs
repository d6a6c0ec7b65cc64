using System.Diagnostics;

namespace TieredTenancy.Tests.Capacity;

/// <summary>
/// Every core of the machine kept busy by shell loops at normal priority, as another tenant's job or a CI neighbour
/// would: what the stack then does is what it does under CPU pressure. Ended (by pid) when disposed.
/// </summary>
public sealed class BusyCores : IDisposable
{
    private readonly List<Process> _loops;

    private BusyCores(int count) =>
        _loops = Enumerable.Range(0, count).Select(_ => Process.Start(new ProcessStartInfo("sh", ["-c", "while :; do :; done"])
        {
            UseShellExecute = false,
        })!).ToList();

    public static BusyCores Start() => new(Environment.ProcessorCount);

    public void Dispose()
    {
        foreach (var loop in _loops)
        {
            loop.Kill();
            loop.WaitForExit();
            loop.Dispose();
        }
    }
}
