using System.Security.Cryptography;
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

    /// <summary>
    /// A database-tier tenant's next login after a credential rotation: <c>tdb_&lt;32 hex&gt;_&lt;8 hex&gt;</c>.
    /// A new role, not a new password: old and new logins both work while replicas switch.
    /// </summary>
    public static string RotatedDatabaseRole(Guid tenantId) => $"{DatabaseRole(tenantId)}_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";

    /// <summary>A SQL LIKE pattern for every login a database-tier tenant may have had (its first and its rotated ones).</summary>
    public static string DatabaseRolesLike(Guid tenantId) => $"{DatabaseRole(tenantId)}\\_%";

    /// <summary>Double-quotes an identifier for SQL. Every generated name still goes through it.</summary>
    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"") + "\"";
}
