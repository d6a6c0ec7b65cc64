namespace TieredTenancy.Provisioner.Offboarding;

/// <summary>
/// The proof of an offboarding, kept on the tenant's tombstone: whose data, who asked, when each
/// step happened, the rows deleted per table (those archived), every check made afterwards with what
/// it found (all 0), and the archive's name, SHA-256, size and how long it is kept.
/// </summary>
public sealed record DeletionCertificate(
    Guid TenantId,
    string Slug,
    string Plan,
    string Isolation,
    Guid OperationId,
    string RequestedBy,
    DateTimeOffset RequestedAt,
    DateTimeOffset SuspendedAt,
    DateTimeOffset ExportedAt,
    DateTimeOffset DeletedAt,
    DateTimeOffset VerifiedAt,
    IReadOnlyDictionary<string, long> DeletedRows,
    int RevokedClients,
    IReadOnlyList<DeletionCheck> Checks,
    CertifiedArchive Archive,
    string Note);

/// <summary>One look for something of the tenant after the deletion, and what it found.</summary>
public sealed record DeletionCheck(string What, string Where, long Found);

public sealed record CertifiedArchive(string File, string Sha256, long Bytes, DateTimeOffset RetainedUntil);
