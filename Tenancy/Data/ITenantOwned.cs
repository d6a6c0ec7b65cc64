namespace TieredTenancy.Tenancy.Data;

/// <summary>Every tenant table carries <c>tenant_id</c>, in every tier, so a tier move is a straight copy.</summary>
public interface ITenantOwned
{
    Guid TenantId { get; set; }
}
