namespace TieredTenancy.Tenancy.Registry;

/// <summary>
/// Why the platform will not do what was asked, in words the caller can act on. Services return it;
/// endpoints alone turn it into problem details (<c>Problems.For</c>).
/// </summary>
public sealed record Refusal(RefusalReason Reason, string Detail)
{
    public static Refusal NoTenant(string id) => new(RefusalReason.NotFound, $"There is no tenant '{id}'.");

    public static Refusal Conflict(string detail) => new(RefusalReason.Conflict, detail);

    /// <summary>The platform, not the caller, lacks what the request needs (e.g. room on a server).</summary>
    public static Refusal Unavailable(string detail) => new(RefusalReason.Unavailable, detail);
}

public enum RefusalReason
{
    NotFound,
    Conflict,
    Unavailable,
}
