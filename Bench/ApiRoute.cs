namespace TieredTenancy.Bench;

/// <summary>
/// What a load loop sends to the Api: a tenant's task list (read) or a new task (write), through the
/// tenancy route (bearer token, resolution, binding) or the plain baseline route (same work, no tenancy).
/// </summary>
public enum ApiRoute
{
    TenancyRead,
    PlainRead,
    TenancyWrite,
    PlainWrite,
}

public static class ApiRoutes
{
    public static IReadOnlyList<ApiRoute> All { get; } = Enum.GetValues<ApiRoute>();

    public static bool IsWrite(this ApiRoute route) => route is ApiRoute.TenancyWrite or ApiRoute.PlainWrite;

    /// <summary>tenancy-read, plain-read, tenancy-write, plain-write.</summary>
    public static string Name(this ApiRoute route) => route switch
    {
        ApiRoute.TenancyRead => "tenancy-read",
        ApiRoute.PlainRead => "plain-read",
        ApiRoute.TenancyWrite => "tenancy-write",
        _ => "plain-write",
    };

    public static ApiRoute? Parse(string? name) => All.Cast<ApiRoute?>().FirstOrDefault(route => route!.Value.Name() == name);
}

/// <summary>A tier and a route to profile: <c>row:tenancy-read</c>.</summary>
public sealed record ProfileTarget(string Isolation, ApiRoute Route)
{
    public static ProfileTarget? Parse(string? text)
    {
        var parts = text?.Split(':') ?? [];
        return parts.Length == 2 && ThroughputTiers.All.Any(tier => tier.Isolation == parts[0]) && ApiRoutes.Parse(parts[1]) is { } route
            ? new ProfileTarget(parts[0], route)
            : null;
    }

    public override string ToString() => $"{Isolation}:{Route.Name()}";
}
