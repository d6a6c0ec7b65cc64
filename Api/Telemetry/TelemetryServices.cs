namespace TieredTenancy.Api.Telemetry;

public static class TelemetryServices
{
    /// <summary>The tenant plane's request counts, exported through OpenTelemetry.</summary>
    public static IHostApplicationBuilder AddTenantRequestMetrics(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<TenantRequestMetrics>();
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(TenantRequestMetrics.MeterName));
        return builder;
    }
}
