using System.ComponentModel.DataAnnotations;

namespace TieredTenancy.Provisioner.Credentials;

/// <summary>The <c>Credentials</c> section: how a credential rotation paces its switch.</summary>
public sealed class CredentialOptions
{
    public const string SectionName = "Credentials";

    /// <summary>
    /// How long the old login's sessions may finish after the switch before they are ended: replicas
    /// close its idle connections on the broadcast (milliseconds), busy ones when their request ends.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan DrainWait { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long <c>POST …/rotate-credentials</c> waits for the rotation to end before it answers 202 with the operation instead.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan RequestWait { get; set; } = TimeSpan.FromSeconds(30);
}
