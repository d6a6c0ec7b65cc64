using System.ComponentModel;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using TieredTenancy.Provisioner.Operations;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Tenants;

/// <summary>A tenant as the admin API shows it. Credentials never appear.</summary>
public sealed record TenantResponse(
    Guid Id,
    string Slug,
    string Name,
    string Plan,
    string Isolation,
    string Status,
    PlacementResponse Placement,
    string MigrationVersion,
    DateTimeOffset CreatedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] RunningOperation? Operation = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), Description("An offboarded tenant's deletion certificate.")] JsonNode? Deletion = null)
{
    public static TenantResponse From(Tenant tenant, string migrationVersion, RunningOperation? operation = null) =>
        new(tenant.Id, tenant.Slug, tenant.Name, tenant.Plan,
            tenant.Isolation.ToString().ToLowerInvariant(),
            tenant.Status.ToString().ToLowerInvariant(),
            new PlacementResponse(tenant.Placement.Server, tenant.Placement.Database, tenant.Placement.Schema, tenant.Placement.Epoch),
            migrationVersion,
            tenant.CreatedAt,
            operation,
            tenant.DeletionCertificate is { } certificate ? JsonNode.Parse(certificate) : null);
}

public sealed record PlacementResponse(string Server, string Database, string Schema, long Epoch);
