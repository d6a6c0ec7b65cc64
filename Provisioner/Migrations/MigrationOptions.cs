using System.ComponentModel.DataAnnotations;

namespace TieredTenancy.Provisioner.Migrations;

/// <summary>The <c>Migrations</c> section: how a fleet migration paces itself and when it gives up.</summary>
public sealed class MigrationOptions
{
    public const string SectionName = "Migrations";

    /// <summary>
    /// How long a target's DDL waits for a lock before it gives way: a tenant's requests queue
    /// behind a waiting ACCESS EXCLUSIVE request, so a busy target fails fast and is tried again.
    /// </summary>
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Tries per target within one run (a lock timeout or a deadlock is worth another try).</summary>
    [Range(1, 20)]
    public int Attempts { get; set; } = 3;

    /// <summary>Workers per server, unless the request says otherwise.</summary>
    [Range(1, 64)]
    public int MaxParallel { get; set; } = 2;

    /// <summary>Targets migrated first, one by one; the operation stops if one of them fails.</summary>
    [Range(0, 1000)]
    public int Canary { get; set; } = 1;

    /// <summary>The operation stops starting targets after this many failed.</summary>
    [Range(1, 100_000)]
    public int MaxFailures { get; set; } = 5;

    /// <summary>How long a target whose tenant is busy with another operation (a move) is waited for before it counts as failed.</summary>
    public TimeSpan BusyTenantWait { get; set; } = TimeSpan.FromMinutes(5);
}
