namespace TieredTenancy.Api.Audit;

public static class AuditServices
{
    /// <summary>The request's writer to its tenant's own audit trail.</summary>
    public static IHostApplicationBuilder AddTenantAuditTrail(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<TenantAuditTrail>();
        return builder;
    }
}
