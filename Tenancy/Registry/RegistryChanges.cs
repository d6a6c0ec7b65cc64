namespace TieredTenancy.Tenancy.Registry;

/// <summary>
/// Every registry change is published on one Redis channel, so every Api replica drops its cached
/// copy: a tenant's id for a change to that tenant, a placement's tag for a change to storage
/// many tenants share (the shared tables migrated to another version), or a client's tag for an
/// API client revoked or given a new secret (its earlier tokens are then refused).
/// </summary>
public static class RegistryChanges
{
    public const string Channel = "tt:registry-changes";

    private const string PlacementPrefix = "placement:";
    private const string ClientPrefix = "client:";

    /// <summary>The message that a plan changed, which drops every cached entry (each carries its plan's features and limits).</summary>
    public const string PlansChanged = "plans";

    /// <summary>The tag of every cached entry served from that placement, and the message that drops them all.</summary>
    public static string PlacementTag(string server, string database, string schema) => $"{PlacementPrefix}{server}/{database}/{schema}";

    public static bool IsPlacementTag(string message) => message.StartsWith(PlacementPrefix, StringComparison.Ordinal);

    /// <summary>The message that an API client was revoked or rotated.</summary>
    public static string ClientTag(string clientId) => ClientPrefix + clientId;

    /// <summary>
    /// A message as published: the change and when it was sent (Unix milliseconds), so each replica
    /// can say how long it took to reach it.
    /// </summary>
    public static string Stamped(string change, DateTimeOffset publishedAt) => $"{change}@{publishedAt.ToUnixTimeMilliseconds()}";

    /// <summary>The change a message names, and when it was published (none for a message sent without a stamp).</summary>
    public static (string Change, DateTimeOffset? PublishedAt) Read(string message)
    {
        var at = message.LastIndexOf('@');
        return at > 0 && long.TryParse(message.AsSpan(at + 1), out var milliseconds)
            ? (message[..at], DateTimeOffset.FromUnixTimeMilliseconds(milliseconds))
            : (message, null);
    }

    public static bool TryReadClientTag(string message, out string clientId)
    {
        clientId = message.StartsWith(ClientPrefix, StringComparison.Ordinal) ? message[ClientPrefix.Length..] : "";
        return clientId.Length > 0;
    }
}
