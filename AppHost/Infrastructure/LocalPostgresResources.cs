namespace TieredTenancy.AppHost.Infrastructure;

/// <summary>A PostgreSQL server run from the machine's binaries, as an Aspire executable resource.</summary>
public sealed class LocalPostgresServerResource(string name, string command, string workingDirectory, ParameterResource password, string dataDirectory)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public const string EndpointName = "tcp";
    public const string UserName = "postgres";

    private EndpointReference? _endpoint;

    public ParameterResource Password { get; } = password;

    /// <summary>The cluster's data folder (PGDATA).</summary>
    public string DataDirectory { get; } = dataDirectory;

    public EndpointReference Endpoint => _endpoint ??= new(this, EndpointName);

    /// <summary>Resource name → database name, created once the server answers.</summary>
    public Dictionary<string, string> Databases { get; } = [];

    // The same shape as Aspire's PostgresServerResource, so consumers cannot tell the modes apart.
    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host={Endpoint.Property(EndpointProperty.Host)};Port={Endpoint.Property(EndpointProperty.Port)};Username={UserName};Password={Password}");
}

/// <summary>A database on a <see cref="LocalPostgresServerResource"/>.</summary>
public sealed class LocalPostgresDatabaseResource(string name, string databaseName, LocalPostgresServerResource parent)
    : Resource(name), IResourceWithParent<LocalPostgresServerResource>, IResourceWithConnectionString
{
    public string DatabaseName { get; } = databaseName;

    public LocalPostgresServerResource Parent { get; } = parent;

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create($"{Parent};Database={DatabaseName}");
}
