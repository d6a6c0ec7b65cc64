using System.Text.RegularExpressions;

namespace TieredTenancy.Tenancy.Registry;

/// <summary>
/// The rules for what a client may name, and the names the platform generates. Schema, role and
/// database names come from the tenant id only, never from anything a client sent.
/// </summary>
public static partial class TenantNames
{
    public const int MaxLength = 200;

    [GeneratedRegex("^[a-z][a-z0-9-]{2,39}$")]
    public static partial Regex SlugPattern();

    public static string Compact(Guid tenantId) => tenantId.ToString("N");

    /// <summary>Schema-tier tenant schema: <c>t_&lt;32 hex&gt;</c>.</summary>
    public static string Schema(Guid tenantId) => $"t_{Compact(tenantId)}";

    /// <summary>Schema-tier tenant role (same name as its schema).</summary>
    public static string SchemaRole(Guid tenantId) => Schema(tenantId);

    /// <summary>Database-tier tenant database and login role: <c>tdb_&lt;32 hex&gt;</c>.</summary>
    public static string Database(Guid tenantId) => $"tdb_{Compact(tenantId)}";

    public static string DatabaseRole(Guid tenantId) => Database(tenantId);

    /// <summary>Double-quotes an identifier for SQL. Every generated name still goes through it.</summary>
    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"") + "\"";
}
