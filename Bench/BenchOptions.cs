namespace TieredTenancy.Bench;

/// <summary>The command line: how many tenants per plan, warm-ups, and raw PostgreSQL repetitions.</summary>
public sealed record BenchOptions(int TenantsPerPlan, int WarmupsPerPlan, int RawRepetitions)
{
    public const string Usage = """
        usage: dotnet run --project Bench -c Release -- [--tenants N] [--warmups N] [--raw N]
          --tenants N   tenants created through the admin API per plan, measured (default 30)
          --warmups N   creates per plan (and raw repetitions per kind) before measuring, not counted (default 3)
          --raw N       raw PostgreSQL repetitions per isolation kind (default 30)
        """;

    public static BenchOptions Default { get; } = new(30, 3, 30);

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
            if (!int.TryParse(value, out var number) || number < 0 || (name != "--warmups" && number < 2))
            {
                Console.Error.WriteLine($"'{name}' needs a whole number ({(name == "--warmups" ? "0" : "2")} or more), not '{value}'.");
                Console.Error.WriteLine(Usage);
                return null;
            }
            switch (name)
            {
                case "--tenants": options = options with { TenantsPerPlan = number }; break;
                case "--warmups": options = options with { WarmupsPerPlan = number }; break;
                case "--raw": options = options with { RawRepetitions = number }; break;
                default:
                    Console.Error.WriteLine($"Unknown option '{name}'.");
                    Console.Error.WriteLine(Usage);
                    return null;
            }
        }
        return options;
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
