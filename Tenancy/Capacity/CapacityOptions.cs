using System.ComponentModel.DataAnnotations;
using TieredTenancy.Tenancy.Hosting;
using TieredTenancy.Tenancy.Plans;

namespace TieredTenancy.Tenancy.Capacity;

/// <summary>
/// The <c>Capacity</c> section, the same for the Provisioner and every Api replica (the AppHost
/// hands its own <c>Capacity</c> section to both): what one tenant may hold of a server.
/// </summary>
public sealed class CapacityOptions
{
    public const string SectionName = ServiceSettings.CapacitySection;

    /// <summary>
    /// Row and schema tiers (role <c>tt_app</c>, the shared pool): a statement running longer is
    /// cancelled by PostgreSQL. The Api's own queries take milliseconds; 5 s keeps one tenant's
    /// runaway search from holding a connection every tenant of the shared database needs.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan SharedStatementTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Database tier (each tenant's own login and pool): longer, since only the tenant itself waits behind it; under Npgsql's 30 s command timeout.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan DedicatedStatementTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>A session idle inside an open transaction longer than this is ended, releasing its locks and its connection.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan IdleInTransactionTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Connections the Api replicas together may have open to one dedicated server, split evenly
    /// between them. The local servers allow 300 (<c>max_connections</c>): 200 leaves room for the
    /// Provisioner's pools and migration workers, the bootstrap and an operator's psql.
    /// </summary>
    [Range(2, 100_000)]
    public int DedicatedConnectionBudget { get; set; } = 200;

    /// <summary>Database tenants one dedicated server takes before placement looks elsewhere (a server with no room takes none).</summary>
    [Range(1, 100_000)]
    public int DedicatedServerTenantLimit { get; set; } = 1_000;

    /// <summary>How many Api replicas share the budget (the AppHost sets it from its own replica count).</summary>
    [Range(1, 1_000)]
    public int ApiReplicas { get; set; } = 1;

    /// <summary>How long a request of a database tenant waits for a connection of its replica's share before it answers 503.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan ConnectionWait { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan StatementTimeout(IsolationKind isolation) =>
        isolation == IsolationKind.Database ? DedicatedStatementTimeout : SharedStatementTimeout;
}
