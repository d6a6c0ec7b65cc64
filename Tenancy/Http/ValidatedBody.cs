using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;

namespace TieredTenancy.Tenancy.Http;

/// <summary>
/// A handler's JSON request body, read and checked by <see cref="JsonBody.ReadValidAsync{T}"/> in
/// an endpoint filter that this parameter adds: not JSON answers 415; malformed, the wrong shape,
/// empty or with bad fields answers 400; each as problem details that say what is wrong (minimal
/// APIs' own body binding answers a bare 400). The parameter also gives OpenAPI the body's schema
/// and those answers.
/// </summary>
public sealed class ValidatedBody<T> : IEndpointParameterMetadataProvider where T : class, IValidatedRequest
{
    private T? _value;

    /// <summary>The body, read before the handler runs.</summary>
    public T Value => _value ?? throw new InvalidOperationException($"The {typeof(T).Name} body is read by the endpoint's filter, which did not run.");

    // Binding makes an empty holder and reads nothing: the filter reads the body, after any filter
    // that must come first (the platform-admin audit).
    public static ValueTask<ValidatedBody<T>?> BindAsync(HttpContext context) => ValueTask.FromResult<ValidatedBody<T>?>(new ValidatedBody<T>());

    public static void PopulateMetadata(ParameterInfo parameter, EndpointBuilder builder) =>
        BodyParameter.Populate<ValidatedBody<T>, T>(parameter, builder, JsonBody.ReadValidAsync<T>, (body, value) => body._value = value);
}
