using System.ComponentModel.DataAnnotations;

namespace TieredTenancy.Tenancy.Cache;

/// <summary>How long a request may wait on Redis, and how long a Redis that stopped answering is left alone.</summary>
public sealed class RedisCircuitOptions
{
    public const string SectionName = "Redis";

    /// <summary>
    /// A call that has not answered by then falls back (Redis answers in well under a millisecond on loopback; a paused
    /// or unreachable server otherwise holds a request for SE.Redis's own 5 s timeout).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:05")]
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>After two failures in a row, calls go straight to their fallback for this long, then one call tries Redis again.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(1);
}
