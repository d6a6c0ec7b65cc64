using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace TieredTenancy.Tenancy.Http;

/// <summary>
/// Every error either service answers is application/problem+json: thrown exceptions, bare status
/// codes (401/403/404/405 from the framework), oversized bodies (413) and NUL characters (400).
/// </summary>
public static class ProblemDetailsDefaults
{
    /// <summary>The largest request body either service reads.</summary>
    public const long MaxRequestBodyBytes = 64 * 1024;

    public static IServiceCollection AddProblemDetailsDefaults(this IServiceCollection services)
    {
        // Framework-made problems (bare status codes, unhandled exceptions) get a detail a person can act on.
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
            context.ProblemDetails.Detail ??= DefaultDetail(context.ProblemDetails.Status));
        services.Configure<KestrelServerOptions>(kestrel => kestrel.Limits.MaxRequestBodySize = MaxRequestBodyBytes);
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.Converters.Add(new NulRejectingStringConverter()));
        return services;
    }

    private static string DefaultDetail(int? status) => status switch
    {
        StatusCodes.Status400BadRequest => "The request could not be read.",
        StatusCodes.Status401Unauthorized => "A valid bearer token is required: ask /connect/token for one.",
        StatusCodes.Status403Forbidden => "The token does not allow this request.",
        StatusCodes.Status404NotFound => "Nothing exists at this address.",
        StatusCodes.Status405MethodNotAllowed => "This address does not take that method.",
        StatusCodes.Status413PayloadTooLarge => $"The request body is larger than the {MaxRequestBodyBytes / 1024} KiB this service accepts.",
        StatusCodes.Status415UnsupportedMediaType => "The request body must be JSON (Content-Type: application/json).",
        _ => "The server failed to handle the request; the trace id identifies it in the logs.",
    };

    public static WebApplication UseProblemDetailsDefaults(this WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            // A too-large or unreadable body surfaces as BadHttpRequestException: keep its 4xx status.
            StatusCodeSelector = exception => exception is Microsoft.AspNetCore.Http.BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError,
        });
        app.UseStatusCodePages();
        app.UseMiddleware<NulCharacterRejection>();
        return app;
    }
}
