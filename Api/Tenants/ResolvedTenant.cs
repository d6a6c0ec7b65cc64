using System.ComponentModel;
using TieredTenancy.Tenancy.Data;
using TieredTenancy.Tenancy.Plans;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Api.Tenants;

/// <summary>A tenant's registry entry with its plan, as the Api caches it. Cached as a whole and dropped on every registry change.</summary>
// Immutable: HybridCache hands out the cached instance instead of deserializing a copy per request.
[ImmutableObject(true)]
public sealed record ResolvedTenant(
    Guid Id,
    string Slug,
    string Name,
    string Plan,
    IsolationKind Isolation,
    TenantStatus Status,
    ResolvedPlacement Placement,
    IReadOnlyList<string> Features,
    PlanLimits Limits,
    string StorageVersion)
{
    /// <summary>Served: active, or moving (reads go on while a move copies).</summary>
    public bool IsServed => Status is TenantStatus.Active or TenantStatus.Moving;

    /// <summary>The columns the tenant's storage has at its migration version (a fleet migration may not have reached it yet).</summary>
    public TenantDataShape Shape { get; } = TenantDataShape.For(StorageVersion);

    // Made once per registry entry rather than on every request: telemetry tags and the log scope.

    /// <summary>The id as text (<c>tenant.id</c> on traces).</summary>
    public string IdText { get; } = Id.ToString();

    /// <summary>row, schema or database (<c>tenant.isolation</c> on traces and metrics).</summary>
    public string IsolationName { get; } = Isolation.ToString().ToLowerInvariant();

    /// <summary>The state of the log scope a request of this tenant runs in.</summary>
    public IReadOnlyList<KeyValuePair<string, object>> LogScope { get; } =
        [new("TenantId", Id), new("TenantIsolation", Isolation)];
}

[ImmutableObject(true)]
public sealed record ResolvedPlacement(string Server, string Database, string Schema, long Epoch, string? Role, string? ProtectedConnectionString);
