using TieredTenancy.Tenancy.Hosting;

namespace TieredTenancy.Provisioner.Clients;

public static class ClientServices
{
    /// <summary>Tenant API clients and the platform-admin client (registered at start with the AppHost's secret).</summary>
    public static IHostApplicationBuilder AddApiClients(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<PlatformAdminOptions>(PlatformAdminOptions.SectionName);
        builder.Services.AddScoped<ClientRegistration>();
        builder.Services.AddHostedService<PlatformAdminRegistration>();
        return builder;
    }
}
