using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;

namespace TieredTenancy.Tenancy.Http;

/// <summary>
/// PostgreSQL text cannot hold a NUL character (it answers "invalid byte sequence"), so a NUL in a
/// query string or JSON string is refused at the door with 400, not met as a 500 in a query.
/// Kestrel itself refuses a NUL in the path or a header (a bare 400, before any middleware runs).
/// </summary>
public sealed class NulCharacterRejection(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        var query = context.Request.Query;
        return query.Count == 0 || !query.Any(pair => pair.Key.Contains('\0') || pair.Value.Any(value => value?.Contains('\0') == true))
            ? next(context)
            : Problems.BadRequest("The query string contains a NUL character (U+0000), which no field accepts.").ExecuteAsync(context);
    }
}

/// <summary>Reads JSON strings, refusing any that holds a NUL; <see cref="JsonBody"/> turns the refusal into 400 naming the field.</summary>
public sealed class NulRejectingStringConverter : JsonConverter<string>
{
    public const string Message = "A string contains a NUL character (U+0000), which no field accepts.";

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Checked(reader.GetString());

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);

    public override string ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Checked(reader.GetString())!;

    public override void WriteAsPropertyName(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WritePropertyName(value);

    private static string? Checked(string? value) => value?.Contains('\0') == true ? throw new JsonException(Message) : value;
}
