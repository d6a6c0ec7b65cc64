using System.ComponentModel.DataAnnotations;

namespace TieredTenancy.Provisioner.Moves;

/// <summary>The <c>Moves</c> section: how a tier move paces its catch-up and bounds its freeze.</summary>
public sealed class MoveOptions
{
    public const string SectionName = "Moves";

    /// <summary>Catch-up rounds before freezing anyway (a tenant writing faster than the copy never runs dry).</summary>
    [Range(1, 100)]
    public int MaxCatchUpRounds { get; set; } = 8;

    /// <summary>Freeze once a catch-up round applies no more than this many changed rows: the final delta stays small.</summary>
    [Range(0, 1_000_000)]
    public int FreezeThreshold { get; set; } = 200;

    /// <summary>How long the mover waits for in-flight writers before its freeze holds (writers hold the lock only for a transaction).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan FreezeWait { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long cleanup waits after the release before it removes the source: the writes the freeze
    /// held retry on the new placement meanwhile, instead of competing with a large DELETE or DROP for the server.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan CleanupDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long cleanup waits for transactions that entered the old placement before its fence.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan DrainWait { get; set; } = TimeSpan.FromSeconds(10);
}
