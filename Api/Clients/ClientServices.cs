using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using TieredTenancy.Tenancy.Hosting;

namespace TieredTenancy.Api.Clients;

public static class ClientServices
{
    /// <summary>The tenant's self-service clients: an HTTP client of the Provisioner, found through service discovery.</summary>
    public static IHostApplicationBuilder AddSelfServiceClients(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<ControlPlaneOptions>(ControlPlaneOptions.SectionName);
        builder.Services.AddHttpClient<ControlPlaneClients>((services, http) =>
            http.BaseAddress = new Uri(services.GetRequiredService<IOptions<ControlPlaneOptions>>().Value.Address));
        // The service defaults retry every request; making a client twice would leave one whose secret nobody saw.
        builder.Services.Configure<HttpStandardResilienceOptions>($"{ControlPlaneClients.HttpClientName}-standard",
            options => options.Retry.DisableForUnsafeHttpMethods());
        return builder;
    }
}
