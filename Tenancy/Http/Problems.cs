using Microsoft.AspNetCore.Http;

namespace TieredTenancy.Tenancy.Http;

/// <summary>RFC 7807 problem details with a human-readable detail, one place for every status the services answer.</summary>
public static class Problems
{
    public static IResult BadRequest(string detail, IDictionary<string, string[]>? errors = null) =>
        errors is { Count: > 0 }
            ? Results.ValidationProblem(errors, detail, title: "The request is not valid.")
            : Results.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "The request is not valid.");

    public static IResult Validation(IDictionary<string, string[]> errors) =>
        Results.ValidationProblem(errors, "One or more fields are not valid: " + string.Join(", ", errors.Keys) + ".",
            title: "The request is not valid.");

    public static IResult NotFound(string detail) =>
        Results.Problem(detail, statusCode: StatusCodes.Status404NotFound, title: "Not found.");

    public static IResult Conflict(string detail) =>
        Results.Problem(detail, statusCode: StatusCodes.Status409Conflict, title: "Conflict.");

    public static IResult Forbidden(string detail) =>
        Results.Problem(detail, statusCode: StatusCodes.Status403Forbidden, title: "Forbidden.");

    public static IResult UnsupportedMediaType() =>
        Results.Problem("The request body must be JSON (Content-Type: application/json).",
            statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type.");

    public static IResult Unavailable(string detail) =>
        Results.Problem(detail, statusCode: StatusCodes.Status503ServiceUnavailable, title: "Service unavailable.");
}
