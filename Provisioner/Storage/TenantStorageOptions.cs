namespace TieredTenancy.Provisioner.Storage;

/// <summary>The <c>TenantStorage</c> section: where tenant data lives and the roles that guard it.</summary>
public sealed class TenantStorageOptions
{
    public const string SectionName = "TenantStorage";

    /// <summary>The Aspire resource name of the server holding the shared tenant database.</summary>
    public string SharedServer { get; set; } = "postgres";

    /// <summary>The connection-string name of the shared tenant database (row and schema tiers).</summary>
    public string SharedDatabase { get; set; } = "tenants";

    /// <summary>Connection-string names of the servers for database-tier tenants.</summary>
    public List<string> DedicatedServers { get; set; } = [];

    /// <summary>Owns every tenant table and runs migrations; cannot log in.</summary>
    public string OwnerRole { get; set; } = "tt_owner";

    /// <summary>The Api's login role: owns nothing, cannot bypass RLS, does not inherit tenant roles.</summary>
    public string AppRole { get; set; } = "tt_app";

    /// <summary>The Api role's password (an AppHost secret parameter).</summary>
    public string AppPassword { get; set; } = "";

    /// <summary>
    /// Dedicated servers: the group role that holds the table rights inside every tenant database
    /// (granted once, in the template). Each tenant login is a member, and can connect only to its own database.
    /// </summary>
    public string TenantDatabaseRole { get; set; } = "tt_tenant_db";

    /// <summary>The pre-migrated database that database-tier tenants are cloned from, on each dedicated server.</summary>
    public string TemplateDatabase { get; set; } = "tt_template";
}
