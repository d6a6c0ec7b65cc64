namespace TieredTenancy.Api.Isolation;

/// <summary>The <c>TenantStorage</c> section as the Api sees it.</summary>
public sealed class IsolationOptions
{
    public const string SectionName = "TenantStorage";

    /// <summary>The shared tenant database's connection-string name.</summary>
    public string SharedDatabase { get; set; } = "tenants";

    /// <summary>The Api's login role on the shared database: owns nothing, cannot bypass RLS.</summary>
    public string AppRole { get; set; } = "tt_app";

    public string AppPassword { get; set; } = "";

    /// <summary>
    /// Schema tier: a pooled connection that touched many tenant schemas holds much backend memory
    /// (~160 MB after 8 tables × 1,000 schemas); recycling connections after this long bounds it.
    /// </summary>
    public int SharedConnectionLifetimeSeconds { get; set; } = 300;

    public int SharedMaxPoolSize { get; set; } = 60;

    /// <summary>Dedicated server name → "Host=…;Port=…" (no credentials: each tenant brings its own).</summary>
    public Dictionary<string, string> DedicatedServerAddresses { get; set; } = [];

    /// <summary>Database tier: connections per tenant pool, and how long an unused tenant pool lives.</summary>
    public int DedicatedMaxPoolSize { get; set; } = 8;

    public TimeSpan DedicatedPoolIdleTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Statements Npgsql prepares automatically per connection (Npgsql's Max Auto Prepare).</summary>
    public const int MaxAutoPrepare = 64;
}
