using System.Security.Cryptography;
using System.Text;

namespace TieredTenancy.AppHost.Infrastructure;

/// <summary>What the services connect to, whichever way it runs.</summary>
public sealed record PlatformResources(
    InfrastructureOptions Options,
    IResourceBuilder<IResourceWithConnectionString> MainServer,
    IResourceBuilder<IResourceWithConnectionString> Catalog,
    IResourceBuilder<IResourceWithConnectionString> Tenants,
    IReadOnlyList<IResourceBuilder<IResourceWithConnectionString>> DedicatedServers,
    IResourceBuilder<IResourceWithConnectionString> Cache,
    IReadOnlyList<IResourceBuilder<IResource>> Servers,
    string DataRoot)
{
    /// <summary>Where offboarded tenants' archives (and uploaded imports) are kept, beside the servers' data.</summary>
    public string ArchiveFolder => Path.Combine(DataRoot, "archives");
}

/// <summary>
/// Composes the PostgreSQL servers and Redis as containers when an engine answers, or as local
/// processes from the machine's binaries when none does (or when configuration says so).
/// </summary>
public static class PlatformInfrastructure
{
    public const string PostgresName = "postgres";
    public const string DedicatedName = "postgres-dedicated";
    public const string CacheName = "cache";
    public const string CatalogDatabase = "catalog";
    public const string TenantsDatabase = "tenants";

    public static PlatformResources AddPlatformInfrastructure(this IDistributedApplicationBuilder builder)
    {
        var options = builder.ReadInfrastructureOptions();

        return ChooseMode(builder.Configuration, options) switch
        {
            InfrastructureMode.Containers => AddContainers(builder, options),
            _ => AddLocalProcesses(builder, options),
        };
    }

    private static InfrastructureMode ChooseMode(IConfiguration configuration, InfrastructureOptions options)
    {
        if (options.Mode == InfrastructureMode.Local)
        {
            return InfrastructureMode.Local;
        }

        var runtime = ContainerEngineProbe.RuntimeName(configuration);
        if (ContainerEngineProbe.EngineAnswers(runtime, options.ContainerProbeTimeout))
        {
            return InfrastructureMode.Containers;
        }
        if (options.Mode == InfrastructureMode.Containers)
        {
            throw new InfrastructureUnavailableException(
                $"Infrastructure:Mode is Containers, but no container engine answered '{runtime} info' within "
                + $"{options.ContainerProbeTimeout.TotalSeconds:0} s (the '{runtime}' client alone is not an engine). "
                + "Start Docker or Podman (set ASPIRE_CONTAINER_RUNTIME=podman for Podman), or set Infrastructure:Mode to Local or Auto "
                + "to run PostgreSQL and Redis from this machine's own binaries.");
        }
        return InfrastructureMode.Local;
    }

    private static PlatformResources AddContainers(IDistributedApplicationBuilder builder, InfrastructureOptions options)
    {
        var postgres = builder.AddPostgres(PostgresName, password: Password(builder, PostgresName, options));
        var dedicated = Enumerable.Range(1, options.DedicatedServerCount)
            .Select(index => builder.AddPostgres(DedicatedServerName(index), password: Password(builder, DedicatedServerName(index), options)))
            .ToList();
        var cache = builder.AddRedis(CacheName, password: Password(builder, CacheName, options));
        if (!options.Ephemeral)
        {
            postgres.WithDataVolume();
            dedicated.ForEach(server => server.WithDataVolume());
        }

        return new PlatformResources(
            options,
            AsConnectionString(builder, postgres),
            AsConnectionString(builder, postgres.AddDatabase(CatalogDatabase)),
            AsConnectionString(builder, postgres.AddDatabase(TenantsDatabase)),
            dedicated.Select(server => AsConnectionString(builder, server)).ToList(),
            AsConnectionString(builder, cache),
            [AsResource(builder, postgres), .. dedicated.Select(server => AsResource(builder, server)), AsResource(builder, cache)],
            DataRoot(builder, options));
    }

    private static PlatformResources AddLocalProcesses(IDistributedApplicationBuilder builder, InfrastructureOptions options)
    {
        var searched = PostgresBinaries.CandidateDirectories(options);
        var binaries = PostgresBinaries.FindNewest(searched) ?? throw NothingToRunWith(builder.Configuration, options, searched);
        var account = ServiceAccount.ForPostgres();
        var dataRoot = DataRoot(builder, options);

        var postgres = builder.AddLocalPostgres(PostgresName, binaries, account, dataRoot, options.Ephemeral, Password(builder, PostgresName, options));
        var catalog = postgres.AddLocalDatabase(CatalogDatabase);
        var tenants = postgres.AddLocalDatabase(TenantsDatabase);
        var dedicated = Enumerable.Range(1, options.DedicatedServerCount)
            .Select(index => builder.AddLocalPostgres(DedicatedServerName(index), binaries, account, dataRoot, options.Ephemeral,
                Password(builder, DedicatedServerName(index), options)))
            .ToList();

        var cachePassword = Password(builder, CacheName, options);
        var redisServer = options.Redis == LocalRedisServer.Garnet ? null : ExecutableSearch.OnPath("redis-server");
        if (options.Redis == LocalRedisServer.RedisServer && redisServer is null)
        {
            throw new InfrastructureUnavailableException(
                "Infrastructure:Redis is RedisServer, but no redis-server was found on PATH. Install it (Debian: apt-get install redis-server) "
                + "or set Infrastructure:Redis to Auto or Garnet to use the embedded Garnet server.");
        }
        IResourceBuilder<IResourceWithConnectionString> cache = redisServer is not null
            ? AsConnectionString(builder, builder.AddLocalRedisServer(CacheName, redisServer, dataRoot, cachePassword))
            : AsConnectionString(builder, builder.AddEmbeddedGarnet(CacheName, cachePassword));

        return new PlatformResources(
            options,
            AsConnectionString(builder, postgres),
            AsConnectionString(builder, catalog),
            AsConnectionString(builder, tenants),
            dedicated.Select(server => AsConnectionString(builder, server)).ToList(),
            cache,
            [AsResource(builder, postgres), .. dedicated.Select(server => AsResource(builder, server)), builder.CreateResourceBuilder<IResource>(cache.Resource)],
            dataRoot);
    }

    public static string DedicatedServerName(int index) => index == 1 ? DedicatedName : $"{DedicatedName}-{index}";

    private static IResourceBuilder<ParameterResource> Password(IDistributedApplicationBuilder builder, string server, InfrastructureOptions options) =>
        builder.AddGeneratedSecret($"{server}-password");

    /// <summary>
    /// A generated secret parameter, kept in the AppHost's user secrets between `dotnet run`s (so a
    /// kept data folder still opens), fresh for every ephemeral run.
    /// </summary>
    public static IResourceBuilder<ParameterResource> AddGeneratedSecret(this IDistributedApplicationBuilder builder, string name) =>
        builder.AddParameter(name,
            new GenerateParameterDefault { MinLength = 24, Special = false },
            secret: true,
            persist: !builder.Configuration.GetValue<bool>($"{InfrastructureOptions.SectionName}:{nameof(InfrastructureOptions.Ephemeral)}"));

    /// <summary>
    /// Where local servers keep their data. Kept: a per-user folder keyed by this AppHost's path, so
    /// two clones never share a cluster. Ephemeral: a fresh temporary folder, removed at stop.
    /// </summary>
    private static string DataRoot(IDistributedApplicationBuilder builder, InfrastructureOptions options)
    {
        string root;
        if (options.Ephemeral)
        {
            root = Path.Combine(Path.GetTempPath(), $"tieredtenancy-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
            ThrowawayFolder.DeleteWhenStopped(builder, root);
        }
        else if (!string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            root = Path.GetFullPath(options.DataDirectory);
        }
        else
        {
            var clone = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(builder.AppHostDirectory)))[..12];
            // root's home is closed to the postgres account; a system folder it can traverse stands in.
            var parent = ServiceAccount.RunningAsRoot
                ? "/var/lib/tieredtenancy"
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "tieredtenancy");
            root = Path.Combine(parent, clone);
        }

        Directory.CreateDirectory(root);
        FileModes.Traversable(root);
        return root;
    }

    private static InfrastructureUnavailableException NothingToRunWith(IConfiguration configuration, InfrastructureOptions options, IReadOnlyList<string> searched)
    {
        var engine = options.Mode == InfrastructureMode.Local
            ? "Infrastructure:Mode is Local, so no container engine was tried"
            : $"no container engine answered '{ContainerEngineProbe.RuntimeName(configuration)} info' within {options.ContainerProbeTimeout.TotalSeconds:0} s";
        var folders = searched.Count == 0 ? "(no candidate folder exists)" : string.Join(", ", searched);
        return new InfrastructureUnavailableException(
            $"TieredTenancy cannot start its infrastructure: {engine}, and no PostgreSQL server binaries (postgres and initdb) "
            + $"were found on PATH, through pg_config --bindir or under /usr/lib/postgresql/*/bin (looked in: {folders}). "
            + "Install either a container engine (Docker or Podman, running) or the PostgreSQL server, version 14 or newer "
            + "(Debian/Ubuntu: apt-get install postgresql; Fedora: dnf install postgresql-server; macOS: brew install postgresql), "
            + "then run again. redis-server is optional (apt-get install redis-server); without it an embedded Garnet server stands in. "
            + "To point at binaries elsewhere, set Infrastructure:PostgresBinDirectories.");
    }

    private static IResourceBuilder<IResourceWithConnectionString> AsConnectionString<T>(IDistributedApplicationBuilder builder, IResourceBuilder<T> resource)
        where T : IResourceWithConnectionString =>
        builder.CreateResourceBuilder<IResourceWithConnectionString>(resource.Resource);

    private static IResourceBuilder<IResource> AsResource<T>(IDistributedApplicationBuilder builder, IResourceBuilder<T> resource)
        where T : IResource =>
        builder.CreateResourceBuilder<IResource>(resource.Resource);
}
