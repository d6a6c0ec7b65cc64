namespace TieredTenancy.Tenancy.Archives;

/// <summary>
/// <c>manifest.json</c>, the last entry of a tenant archive: whose data, at which storage version,
/// when, and per file its table, columns, row count and SHA-256, so a reader can check every byte
/// before it loads anything.
/// </summary>
public sealed record TenantArchiveManifest(
    string Format,
    ArchivedTenant Tenant,
    string StorageVersion,
    DateTimeOffset ExportedAt,
    IReadOnlyList<ArchivedFile> Files)
{
    public const string CurrentFormat = "tieredtenancy-tenant-archive/1";

    public const string EntryName = "manifest.json";
}

public sealed record ArchivedTenant(Guid Id, string Slug, string Name, string Plan, string Isolation);

/// <summary>One table as CSV with a header row (PostgreSQL's own CSV), in id order.</summary>
public sealed record ArchivedFile(string Name, string Table, IReadOnlyList<string> Columns, long Rows, string Sha256);
