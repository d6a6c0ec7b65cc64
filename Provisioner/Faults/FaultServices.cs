using TieredTenancy.Tenancy.Hosting;

namespace TieredTenancy.Provisioner.Faults;

public static class FaultServices
{
    /// <summary>Fault plans for test runs; without <c>Provisioning:AllowFaultInjection</c> every fault call does nothing.</summary>
    public static IHostApplicationBuilder AddFaultInjection(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<FaultInjectionOptions>(FaultInjectionOptions.SectionName);
        builder.Services.AddSingleton<FaultInjection>();
        return builder;
    }

    /// <summary>Test runs only: a request's fault plan applies to the work it does (see <see cref="FaultInjection"/>).</summary>
    public static WebApplication UseFaultInjection(this WebApplication app)
    {
        var faults = app.Services.GetRequiredService<FaultInjection>();
        if (faults.Enabled)
        {
            app.Use(async (context, next) =>
            {
                using (faults.Use(faults.PlanOf(context.Request)))
                {
                    await next(context);
                }
            });
        }
        return app;
    }
}
