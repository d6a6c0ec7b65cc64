namespace TieredTenancy.Tenancy.Registry;

/// <summary>
/// Where a tenant is served from. The epoch grows by one at every move, so a replica holding an
/// older placement can tell that it is stale.
/// </summary>
public sealed class Placement
{
    /// <summary>The Aspire resource name of the PostgreSQL server.</summary>
    public required string Server { get; set; }

    public required string Database { get; set; }

    /// <summary>The tenant's schema (schema tier) or the shared schema (row and database tiers).</summary>
    public required string Schema { get; set; }

    public long Epoch { get; set; } = 1;

    /// <summary>The database role the tenant's connections act as (schema and database tiers).</summary>
    public string? Role { get; set; }

    /// <summary>Database tier: the tenant's own connection string, encrypted with Data Protection. Never shown.</summary>
    public string? ProtectedConnectionString { get; set; }
}
