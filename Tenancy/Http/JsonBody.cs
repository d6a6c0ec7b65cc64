using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace TieredTenancy.Tenancy.Http;

/// <summary>
/// Reads a JSON request body and says clearly what is wrong with it: not JSON, the wrong shape,
/// or missing. Minimal APIs' own binding answers a bare 400 with no detail.
/// </summary>
public static class JsonBody
{
    public static async Task<(T? Value, ProblemHttpResult? Problem)> ReadAsync<T>(HttpRequest request) where T : class
    {
        if (!request.HasJsonContentType())
        {
            return (null, Problems.UnsupportedMediaType());
        }

        var options = request.HttpContext.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        try
        {
            var value = await request.ReadFromJsonAsync<T>(options, request.HttpContext.RequestAborted);
            return value is null
                ? (null, Problems.BadRequest("The request body is empty; a JSON object is required."))
                : (value, null);
        }
        catch (JsonException exception)
        {
            var where = exception.Path is { Length: > 1 } path ? $" at '{path}'" : "";
            return (null, Problems.BadRequest($"The request body is not valid JSON for this request{where}: {FirstSentence(exception.Message)}"));
        }
    }

    /// <summary>Reads the body and checks its fields: a value only when both the JSON and the fields are good.</summary>
    public static async Task<(T? Value, IResult? Problem)> ReadValidAsync<T>(HttpRequest request) where T : class, IValidatedRequest
    {
        var (value, problem) = await ReadAsync<T>(request);
        if (problem is not null)
        {
            return (null, problem);
        }
        return value!.Validate() is { Count: > 0 } errors ? (null, Problems.Validation(errors)) : (value, null);
    }

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end > 0 ? message[..(end + 1)] : message;
    }
}
