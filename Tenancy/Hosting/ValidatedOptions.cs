using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace TieredTenancy.Tenancy.Hosting;

public static class ValidatedOptions
{
    /// <summary>
    /// Binds <typeparamref name="TOptions"/> to its configuration section and checks its data
    /// annotations when the service starts, so a bad setting stops the start instead of the first request.
    /// </summary>
    public static OptionsBuilder<TOptions> AddValidatedOptions<TOptions>(this IServiceCollection services, string sectionName) where TOptions : class =>
        services.AddOptions<TOptions>()
            .BindConfiguration(sectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
}
