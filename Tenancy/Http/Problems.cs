using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Tenancy.Http;

/// <summary>
/// RFC 7807 problem details with a human-readable detail, one place for every status the services
/// answer. Typed, so an endpoint's <c>Results&lt;…&gt;</c> names them and its OpenAPI document shows them.
/// </summary>
public static class Problems
{
    public static ProblemHttpResult BadRequest(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "The request is not valid.");

    public static ValidationProblem Validation(IDictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, "One or more fields are not valid: " + string.Join(", ", errors.Keys) + ".",
            title: "The request is not valid.");

    public static ProblemHttpResult Unauthorized(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized.");

    public static ProblemHttpResult Forbidden(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status403Forbidden, title: "Forbidden.");

    public static ProblemHttpResult NotFound(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status404NotFound, title: "Not found.");

    public static ProblemHttpResult Conflict(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status409Conflict, title: "Conflict.");

    public static ProblemHttpResult Unprocessable(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status422UnprocessableEntity, title: "The request cannot be processed.");

    public static ProblemHttpResult TooManyRequests(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests.");

    public static ProblemHttpResult UnsupportedMediaType() =>
        TypedResults.Problem("The request body must be JSON (Content-Type: application/json).",
            statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type.");

    public static ProblemHttpResult Unavailable(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status503ServiceUnavailable, title: "Service unavailable.");

    public static ProblemHttpResult Timeout(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status504GatewayTimeout, title: "The query took too long.");

    /// <summary>The problem a service's <see cref="Refusal"/> is, in HTTP.</summary>
    public static ProblemHttpResult For(Refusal refusal) => refusal.Reason switch
    {
        RefusalReason.NotFound => NotFound(refusal.Detail),
        RefusalReason.Conflict => Conflict(refusal.Detail),
        RefusalReason.Unavailable => Unavailable(refusal.Detail),
        _ => throw new ArgumentOutOfRangeException(nameof(refusal), refusal.Reason, "Unknown refusal."),
    };

    /// <summary>For OpenAPI: an endpoint answers <paramref name="statusCode"/> with problem details.</summary>
    public static IProducesResponseTypeMetadata ResponseMetadata(int statusCode) =>
        new ProducesResponseTypeMetadata(statusCode, typeof(ProblemDetails), ["application/problem+json"]);

    /// <summary>For OpenAPI, where <c>ProducesProblem</c> does not reach (groups, conventions): the endpoints answer these statuses with problem details.</summary>
    public static TBuilder ProducesProblems<TBuilder>(this TBuilder builder, params int[] statusCodes) where TBuilder : IEndpointConventionBuilder
    {
        foreach (var statusCode in statusCodes)
        {
            builder.WithMetadata(ResponseMetadata(statusCode));
        }
        return builder;
    }
}
