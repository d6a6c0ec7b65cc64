using TieredTenancy.Tenancy.Plans;

namespace TieredTenancy.Tenancy.Registry;

/// <summary>One place the tenant data model is migrated: the shared tables, a tenant schema, a tenant database or a template.</summary>
public sealed class StorageTarget
{
    public Guid Id { get; init; } = Guid.CreateVersion7();

    public required StorageTargetKind Kind { get; init; }

    public required string Server { get; init; }

    public required string Database { get; init; }

    public required string Schema { get; init; }

    /// <summary>The tenant it belongs to; none for the shared tables and templates.</summary>
    public Guid? TenantId { get; init; }

    /// <summary>The last migration applied (EF Core migration id); empty before the first.</summary>
    public string MigrationVersion { get; set; } = "";

    public DateTimeOffset UpdatedAt { get; set; } = DateTimeOffset.UtcNow;
}

public enum StorageTargetKind
{
    SharedTables,
    TenantSchema,
    TenantDatabase,
    Template,
}

public static class StorageTargetKinds
{
    public static StorageTargetKind For(IsolationKind isolation) => isolation switch
    {
        IsolationKind.Row => StorageTargetKind.SharedTables,
        IsolationKind.Schema => StorageTargetKind.TenantSchema,
        _ => StorageTargetKind.TenantDatabase,
    };
}
