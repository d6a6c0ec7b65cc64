using System.ComponentModel.DataAnnotations;
using TieredTenancy.Tenancy.Hosting;

namespace TieredTenancy.Tenancy.Storage;

/// <summary>
/// The <c>TenantStorage</c> section, shared by the services and the bootstrap: where tenant data
/// lives, the roles that guard it (the bootstrap creates the platform's, the Provisioner the
/// tenants') and the pools that reach it (the Api opens them).
/// </summary>
public sealed class TenantStorageOptions
{
    public const string SectionName = ServiceSettings.TenantStorageSection;

    /// <summary>Statements Npgsql prepares automatically per connection (Npgsql's Max Auto Prepare).</summary>
    public const int MaxAutoPrepare = 64;

    /// <summary>
    /// Tenant connections skip Npgsql's session reset (seven statements per reuse, a visible share of
    /// PostgreSQL's CPU per request): the binding's settings are transaction-local, locks are transaction
    /// locks, and nothing makes session state. An open transaction is still rolled back on close.
    /// </summary>
    public const bool NoResetOnClose = true;

    private const string RoleName = "^[a-z_][a-z0-9_]*$";

    /// <summary>The Aspire resource name of the server holding the shared tenant database.</summary>
    [Required]
    public string SharedServer { get; set; } = "postgres";

    /// <summary>The connection-string name of the shared tenant database (row and schema tiers).</summary>
    [Required]
    public string SharedDatabase { get; set; } = "tenants";

    /// <summary>Connection-string names of the servers for database-tier tenants (the Provisioner administers them).</summary>
    public List<string> DedicatedServers { get; set; } = [];

    /// <summary>Dedicated server name → "Host=…;Port=…" (no credentials: each tenant brings its own; the Api connects with them).</summary>
    public Dictionary<string, string> DedicatedServerAddresses { get; set; } = [];

    /// <summary>Owns every tenant table and runs migrations; cannot log in.</summary>
    [Required, RegularExpression(RoleName)]
    public string OwnerRole { get; set; } = "tt_owner";

    /// <summary>The Api's login role: owns nothing, cannot bypass RLS, does not inherit tenant roles.</summary>
    [Required, RegularExpression(RoleName)]
    public string AppRole { get; set; } = "tt_app";

    /// <summary>
    /// The Provisioner's login role: owns the catalog, may act as <see cref="OwnerRole"/>, creates
    /// tenant roles and (on dedicated servers) databases; never a superuser. The bootstrap creates it.
    /// </summary>
    [Required, RegularExpression(RoleName)]
    public string ProvisionerRole { get; set; } = "tt_provisioner";

    /// <summary>The Api's catalog login role: SELECT on what tenant resolution reads, nothing else.</summary>
    [Required, RegularExpression(RoleName)]
    public string ResolverRole { get; set; } = "tt_resolver";

    /// <summary>
    /// Dedicated servers: the group role that holds the table rights inside every tenant database
    /// (granted once, in the template). Each tenant login is a member, and can connect only to its own database.
    /// </summary>
    [Required, RegularExpression(RoleName)]
    public string TenantDatabaseRole { get; set; } = "tt_tenant_db";

    /// <summary>The pre-migrated database that database-tier tenants are cloned from, on each dedicated server.</summary>
    [Required, RegularExpression(RoleName)]
    public string TemplateDatabase { get; set; } = "tt_template";

    /// <summary>
    /// Schema tier: a pooled connection that touched many tenant schemas holds much backend memory
    /// (its catalog caches grow with every schema); recycling connections after this long bounds it.
    /// </summary>
    [Range(0, 86_400)]
    public int SharedConnectionLifetimeSeconds { get; set; } = 300;

    /// <summary>The Api's pool on the shared tenant database.</summary>
    [Range(1, 1_000)]
    public int SharedMaxPoolSize { get; set; } = 60;

    /// <summary>Database tier: connections per tenant pool.</summary>
    [Range(1, 100)]
    public int DedicatedMaxPoolSize { get; set; } = 8;

    /// <summary>Database tier: how long an unused tenant pool lives.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan DedicatedPoolIdleTimeout { get; set; } = TimeSpan.FromMinutes(5);
}
