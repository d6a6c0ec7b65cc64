namespace TieredTenancy.Tenancy.Plans;

/// <summary>Where a tenant's rows live. The table shapes are the same in every kind; only the location differs.</summary>
public enum IsolationKind
{
    /// <summary>Shared tables, separated by PostgreSQL row-level security on <c>tenant_id</c>.</summary>
    Row,

    /// <summary>Schema <c>t_&lt;id&gt;</c> in the shared database, with its own role.</summary>
    Schema,

    /// <summary>Its own database on a dedicated server, with its own credentials.</summary>
    Database,
}
