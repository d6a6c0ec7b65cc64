using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace TieredTenancy.Tenancy.Http;

/// <summary>
/// Every error either service answers is application/problem+json: thrown exceptions, bare status
/// codes (401/403/404/405 from the framework) and oversized bodies (413).
/// </summary>
public static class ProblemDetailsDefaults
{
    /// <summary>The largest request body either service reads.</summary>
    public const long MaxRequestBodyBytes = 64 * 1024;

    public static IServiceCollection AddProblemDetailsDefaults(this IServiceCollection services)
    {
        services.AddProblemDetails();
        services.Configure<KestrelServerOptions>(kestrel => kestrel.Limits.MaxRequestBodySize = MaxRequestBodyBytes);
        return services;
    }

    public static WebApplication UseProblemDetailsDefaults(this WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            // A too-large or unreadable body surfaces as BadHttpRequestException: keep its 4xx status.
            StatusCodeSelector = exception => exception is Microsoft.AspNetCore.Http.BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError,
        });
        app.UseStatusCodePages();
        return app;
    }
}
