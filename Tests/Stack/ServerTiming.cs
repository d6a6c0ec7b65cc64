namespace TieredTenancy.Tests.Stack;

/// <summary>How long a service took on a request by its own count: the <c>Server-Timing: app;dur=ms</c> header every service sends.</summary>
public static class ServerTiming
{
    public static TimeSpan Of(HttpResponseMessage response)
    {
        var header = Assert.Single(response.Headers.GetValues("Server-Timing"));
        var duration = header.Split(';').Single(part => part.StartsWith("dur=", StringComparison.Ordinal))["dur=".Length..];
        return TimeSpan.FromMilliseconds(double.Parse(duration, System.Globalization.CultureInfo.InvariantCulture));
    }
}
