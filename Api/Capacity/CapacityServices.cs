using TieredTenancy.Tenancy.Capacity;
using TieredTenancy.Tenancy.Hosting;

namespace TieredTenancy.Api.Capacity;

public static class CapacityServices
{
    /// <summary>What one tenant may hold of the platform, and the clear answers when it reaches a limit.</summary>
    public static IHostApplicationBuilder AddTenantCapacity(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<CapacityOptions>(CapacityOptions.SectionName);
        builder.Services.AddValidatedOptions<FaultInjectionOptions>(FaultInjectionOptions.SectionName);
        builder.Services.AddExceptionHandler<StatementTimeoutProblem>();
        builder.Services.AddSingleton<RequestCounts>();
        builder.Services.AddSingleton<AdmissionLog>();
        builder.Services.AddHostedService(services => services.GetRequiredService<RequestCounts>());
        return builder;
    }

    /// <summary>After the plan's request limits: the count of what passed them, then the database tier's connection budget.</summary>
    public static WebApplication UseTenantCapacity(this WebApplication app)
    {
        app.UseMiddleware<RequestMetering>();
        app.UseMiddleware<DedicatedConnectionAdmission>();
        return app;
    }
}
