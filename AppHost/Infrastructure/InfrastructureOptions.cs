using System.ComponentModel.DataAnnotations;
using TieredTenancy.Tenancy.Hosting;

namespace TieredTenancy.AppHost.Infrastructure;

public enum InfrastructureMode
{
    /// <summary>Containers when a container engine answers, local processes otherwise.</summary>
    Auto,
    Containers,
    Local,
}

public enum LocalRedisServer
{
    /// <summary>redis-server when installed, the embedded Garnet server otherwise.</summary>
    Auto,
    RedisServer,
    Garnet,
}

/// <summary>The <c>Infrastructure</c> configuration section of the AppHost.</summary>
public sealed class InfrastructureOptions
{
    public const string SectionName = "Infrastructure";

    public InfrastructureMode Mode { get; set; } = InfrastructureMode.Auto;

    public LocalRedisServer Redis { get; set; } = LocalRedisServer.Auto;

    /// <summary>How many <c>postgres-dedicated</c> servers hold database-tier tenants.</summary>
    [Range(1, 64, ErrorMessage = "Infrastructure:DedicatedServerCount must be between 1 and 64.")]
    public int DedicatedServerCount { get; set; } = 1;

    /// <summary>How many Api replicas run side by side.</summary>
    [Range(1, 64, ErrorMessage = "Infrastructure:ApiReplicas must be between 1 and 64.")]
    public int ApiReplicas { get; set; } = 2;

    /// <summary>How many Provisioner replicas run side by side: operations, tokens and the admin API go on when one dies.</summary>
    [Range(1, 64, ErrorMessage = "Infrastructure:ProvisionerReplicas must be between 1 and 64.")]
    public int ProvisionerReplicas { get; set; } = 2;

    /// <summary>
    /// Throwaway data: a fresh folder per run, deleted when the AppHost stops, and durability
    /// settings relaxed. Tests set it; a developer's <c>dotnet run</c> keeps its data.
    /// </summary>
    public bool Ephemeral { get; set; }

    /// <summary>Where local servers keep their data between runs; empty picks a per-user folder.</summary>
    public string? DataDirectory { get; set; }

    /// <summary>
    /// When set, the only folders searched for PostgreSQL binaries (instead of PATH,
    /// <c>pg_config --bindir</c> and <c>/usr/lib/postgresql/*/bin</c>).
    /// </summary>
    public string[]? PostgresBinDirectories { get; set; }

    /// <summary>How long the container engine probe may take before the engine counts as absent.</summary>
    [Range(typeof(TimeSpan), "00:00:00.1", "00:05:00", ErrorMessage = "Infrastructure:ContainerProbeTimeout must be between 0.1 s and 5 min.")]
    public TimeSpan ContainerProbeTimeout { get; set; } = TimeSpan.FromSeconds(3);
}

public static class InfrastructureOptionsBinding
{
    /// <summary>
    /// The <c>Infrastructure</c> section, bound and checked now: the composition needs it before
    /// anything starts, so a bad value ends the AppHost at once with the reason. It is registered
    /// for the running AppHost too, validated again at start like every options class.
    /// </summary>
    public static InfrastructureOptions ReadInfrastructureOptions(this IDistributedApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<InfrastructureOptions>(InfrastructureOptions.SectionName);
        var options = builder.Configuration.GetSection(InfrastructureOptions.SectionName).Get<InfrastructureOptions>() ?? new();
        var failures = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), failures, validateAllProperties: true))
        {
            throw new InfrastructureUnavailableException(string.Join(" ", failures.Select(failure => failure.ErrorMessage)));
        }
        return options;
    }
}
