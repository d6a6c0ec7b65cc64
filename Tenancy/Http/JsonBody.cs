using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Http.Metadata;
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

/// <summary>
/// A handler's JSON request body, read by <see cref="JsonBody.ReadAsync{T}"/> in an endpoint filter
/// that this parameter adds (not JSON: 415; malformed, the wrong shape or empty: 400), with its
/// schema for OpenAPI. Its fields are the handler's to check, for bodies whose checks need more
/// than the body (the catalog's plans, the deployment's servers); otherwise take a <see cref="ValidatedBody{T}"/>.
/// </summary>
public sealed class JsonBody<T> : IEndpointParameterMetadataProvider where T : class
{
    private T? _value;

    /// <summary>The body, read before the handler runs.</summary>
    public T Value => _value ?? throw new InvalidOperationException($"The {typeof(T).Name} body is read by the endpoint's filter, which did not run.");

    public static ValueTask<JsonBody<T>?> BindAsync(HttpContext context) => ValueTask.FromResult<JsonBody<T>?>(new JsonBody<T>());

    public static void PopulateMetadata(ParameterInfo parameter, EndpointBuilder builder) =>
        BodyParameter.Populate<JsonBody<T>, T>(parameter, builder, ReadAsync, (body, value) => body._value = value);

    private static async Task<(T? Value, IResult? Problem)> ReadAsync(HttpRequest request) => await JsonBody.ReadAsync<T>(request);
}

