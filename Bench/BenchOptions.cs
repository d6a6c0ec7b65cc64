namespace TieredTenancy.Bench;

/// <summary>Which measurements one run makes.</summary>
[Flags]
public enum Measurements
{
    Provisioning = 1,
    Api = 2,
    Moves = 4,
    Migrations = 8,
    Archives = 16,
    Capacity = 32,
    Failover = 64,
    All = Provisioning | Api | Moves | Migrations | Archives | Capacity | Failover,
}

/// <summary>
/// The command line: which measurements, how many tenants per plan, warm-ups, raw PostgreSQL
/// repetitions, the Api throughput load (seconds per measured loop, concurrent workers, rounds, cold
/// tenants), the sizes of the move and migration benchmarks, and a profile instead of measurements.
/// </summary>
public sealed record BenchOptions(int TenantsPerPlan, int WarmupsPerPlan, int RawRepetitions, Measurements Only, int Seconds, int Concurrency,
    int Rounds = 3, int ColdTenants = 5, int MoveRows = 400_000, int SchemaTenants = 1000, int DatabaseTenants = 100, int MigrationParallel = 2, int SweepTenants = 1000,
    ProfileTarget? Profile = null)
{
    public const string Usage = """
        usage: dotnet run --project Bench -c Release -- [--only provisioning|api|moves|migrations|archives|capacity|failover|all] [--tenants N] [--warmups N] [--raw N] [--seconds N] [--concurrency N] [--rounds N] [--cold N] [--rows N] [--schemas N] [--databases N] [--parallel N] [--sweep N] [--profile TIER:ROUTE]
          --only M         which measurement: provisioning latency, Api request throughput, tier moves, fleet migrations, archives (export, import, offboarding), capacity (noisy neighbour, database-tenant sweep),
                           failover (the Provisioner replica running a move killed), or all (default all)
          --tenants N      tenants created through the admin API per plan, measured (default 30)
          --warmups N      creates per plan (and raw repetitions per kind) before measuring, not counted (default 3)
          --raw N          raw PostgreSQL repetitions per isolation kind (default 30)
          --seconds N      Api throughput: measured seconds per load loop, after a 2 s warm-up not counted (default 10)
          --concurrency N  Api throughput: concurrent workers, and connections to the Api replica (default 8)
          --rounds N       Api throughput: interleaved rounds of reads and writes, tenancy and plain, per tier (default 3)
          --cold N         Api throughput: new tenants per tier whose first request on the replica is timed (default 5)
          --rows N         tier moves, failover and archives: rows of the tenant, half tasks and half comments, one project per 200 rows (default 400000)
          --schemas N      fleet migrations: schema tenants in the fleet (default 1000)
          --databases N    fleet migrations: database tenants in the fleet (default 100)
          --parallel N     fleet migrations: workers per server (default 2)
          --sweep N        capacity: database tenants read on both replicas against the connection budget (default 1000)
          --profile T:R    instead of measuring: a dotnet-trace CPU profile of one Api replica for --seconds under the load of one
                           tier (row, schema, database) and route (tenancy-read, plain-read, tenancy-write, plain-write), e.g. row:tenancy-read
        """;

    public static BenchOptions Default { get; } = new(30, 3, 30, Measurements.All, 10, 8);

    /// <summary>The smallest whole number each numeric option accepts.</summary>
    private static readonly Dictionary<string, int> Minimum = new()
    {
        ["--tenants"] = 2,
        ["--warmups"] = 0,
        ["--raw"] = 2,
        ["--seconds"] = 1,
        ["--concurrency"] = 1,
        ["--rounds"] = 1,
        ["--cold"] = 1,
        ["--rows"] = 400,
        ["--schemas"] = 1,
        ["--databases"] = 1,
        ["--parallel"] = 1,
        ["--sweep"] = 1,
    };

    public bool Runs(Measurements measurement) => (Only & measurement) == measurement;

    /// <summary>The options, or null (with the reason on standard error) when the command line is wrong.</summary>
    public static BenchOptions? Parse(IReadOnlyList<string> args)
    {
        var options = Default;
        for (var index = 0; index < args.Count; index++)
        {
            var (name, value) = Split(args, ref index);
            if (name is "--help" or "-h")
            {
                Console.Error.WriteLine(Usage);
                return null;
            }
            if (name == "--only")
            {
                Measurements? only = value switch
                {
                    "provisioning" => Measurements.Provisioning,
                    "api" => Measurements.Api,
                    "moves" => Measurements.Moves,
                    "migrations" => Measurements.Migrations,
                    "archives" => Measurements.Archives,
                    "capacity" => Measurements.Capacity,
                    "failover" => Measurements.Failover,
                    "all" => Measurements.All,
                    _ => null,
                };
                if (only is null)
                {
                    return Refuse($"'--only' needs provisioning, api, moves, migrations, archives, capacity, failover or all, not '{value}'.");
                }
                options = options with { Only = only.Value };
                continue;
            }
            if (name == "--profile")
            {
                if (ProfileTarget.Parse(value) is not { } target)
                {
                    return Refuse($"'--profile' needs TIER:ROUTE, e.g. row:tenancy-read, not '{value}'.");
                }
                options = options with { Profile = target };
                continue;
            }
            if (!Minimum.TryGetValue(name, out var minimum))
            {
                return Refuse($"Unknown option '{name}'.");
            }
            if (!int.TryParse(value, out var number) || number < minimum)
            {
                return Refuse($"'{name}' needs a whole number ({minimum} or more), not '{value}'.");
            }
            options = name switch
            {
                "--tenants" => options with { TenantsPerPlan = number },
                "--warmups" => options with { WarmupsPerPlan = number },
                "--raw" => options with { RawRepetitions = number },
                "--seconds" => options with { Seconds = number },
                "--rows" => options with { MoveRows = number },
                "--schemas" => options with { SchemaTenants = number },
                "--databases" => options with { DatabaseTenants = number },
                "--parallel" => options with { MigrationParallel = number },
                "--rounds" => options with { Rounds = number },
                "--cold" => options with { ColdTenants = number },
                "--sweep" => options with { SweepTenants = number },
                _ => options with { Concurrency = number },
            };
        }
        return options;
    }

    private static BenchOptions? Refuse(string reason)
    {
        Console.Error.WriteLine(reason);
        Console.Error.WriteLine(Usage);
        return null;
    }

    /// <summary>Accepts both <c>--name value</c> and <c>--name=value</c>.</summary>
    private static (string Name, string? Value) Split(IReadOnlyList<string> args, ref int index)
    {
        var arg = args[index];
        var equals = arg.IndexOf('=');
        if (equals > 0)
        {
            return (arg[..equals], arg[(equals + 1)..]);
        }
        if (arg.StartsWith("--", StringComparison.Ordinal) && arg != "--help" && index + 1 < args.Count)
        {
            return (arg, args[++index]);
        }
        return (arg, null);
    }
}
