using TieredTenancy.Tenancy.Plans;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Moves;

/// <summary>What a move was asked to do, fixed when it starts: from the tenant's placement at one epoch, to a plan and tier.</summary>
public sealed record MoveParameters(
    IsolationKind FromIsolation,
    string FromPlan,
    PlacementSnapshot From,
    IsolationKind ToIsolation,
    string ToPlan,
    string? ToServer,
    bool Force);

/// <summary>A placement as a move records it (no credentials).</summary>
public sealed record PlacementSnapshot(string Server, string Database, string Schema, long Epoch, string? Role)
{
    public static PlacementSnapshot Of(Placement placement) => new(placement.Server, placement.Database, placement.Schema, placement.Epoch, placement.Role);

    public Placement ToPlacement(string? protectedConnectionString = null) => new()
    {
        Server = Server,
        Database = Database,
        Schema = Schema,
        Epoch = Epoch,
        Role = Role,
        ProtectedConnectionString = protectedConnectionString,
    };

    public override string ToString() => $"{Server}/{Database}/{Schema}@{Epoch}";
}

/// <summary>How far a move got: what a resumed run or a rollback after a crash needs, and the report it shows.</summary>
public sealed class MoveState
{
    /// <summary>Where the tenant's data is being copied to; recorded before anything is made there.</summary>
    public PlacementSnapshot? Target { get; set; }

    /// <summary>Database tier: the target's credentials, encrypted like the registry keeps them.</summary>
    public string? TargetProtectedConnectionString { get; set; }

    public string? Version { get; set; }

    /// <summary>Set, durably, just before the source is fenced: from here on the move only goes forward.</summary>
    public bool Flipping { get; set; }

    /// <summary>When the source's fence committed (the source database's clock): cleanup waits out older transactions.</summary>
    public DateTimeOffset? FencedAt { get; set; }

    public MoveReport Report { get; set; } = new();
}

/// <summary>The figures a move shows in its operation and its audit event.</summary>
public sealed class MoveReport
{
    public string? From { get; set; }

    public string? To { get; set; }

    public string? Version { get; set; }

    /// <summary>Per table: what was compared before the flip.</summary>
    public Dictionary<string, TableFigures> Tables { get; set; } = [];

    public long BulkRows { get; set; }

    /// <summary>Rows changed while the bulk copied, applied by catch-up rounds and the final delta.</summary>
    public long ChangedRows { get; set; }

    public int CatchUpRounds { get; set; }

    /// <summary>How long the tenant's writes were frozen.</summary>
    public double? FreezeMilliseconds { get; set; }
}

/// <summary>
/// A table's verification: the rows and checksum both sides had at the bulk copy's snapshot, and,
/// under the freeze, the keys changed since, with the rows and checksum of those keys on each side.
/// </summary>
public sealed record TableFigures(long BulkRows, string BulkChecksum, int ChangedKeys, long SourceChangedRows, long TargetChangedRows,
    string? SourceChangedChecksum, string? TargetChangedChecksum);
