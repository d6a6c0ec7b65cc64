using TieredTenancy.Tenancy.Hosting;

namespace TieredTenancy.Provisioner.Operations;

public static class OperationServices
{
    /// <summary>Durable operations: the runner (which also recovers what a stopped instance left) and the one-per-tenant rule.</summary>
    public static IHostApplicationBuilder AddDurableOperations(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<OperationOptions>(OperationOptions.SectionName);
        builder.Services.AddSingleton<OlderAttempts>();
        builder.Services.AddSingleton<OperationRunner>();
        builder.Services.AddHostedService(services => services.GetRequiredService<OperationRunner>());
        builder.Services.AddScoped<TenantOperations>();
        return builder;
    }
}
