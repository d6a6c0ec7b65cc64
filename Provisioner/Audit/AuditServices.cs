namespace TieredTenancy.Provisioner.Audit;

public static class AuditServices
{
    /// <summary>The control plane's audit trail; its events name the caller of the request that made them.</summary>
    public static IHostApplicationBuilder AddControlPlaneAudit(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddScoped<ControlPlaneAudit>();
        return builder;
    }
}
