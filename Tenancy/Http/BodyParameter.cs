using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;

namespace TieredTenancy.Tenancy.Http;

/// <summary>
/// What <see cref="JsonBody{T}"/> and <see cref="ValidatedBody{T}"/> add to their endpoint: an
/// endpoint filter that reads the body before the handler runs (answering a problem instead when
/// it cannot), and the body's schema and those answers for OpenAPI.
/// </summary>
internal static class BodyParameter
{
    public static void Populate<TParameter, TBody>(ParameterInfo parameter, EndpointBuilder builder,
        Func<HttpRequest, Task<(TBody? Value, IResult? Problem)>> read, Action<TParameter, TBody> receive) where TBody : class
    {
        // The body's type without its media type: with one, routing would refuse other media types
        // itself (a bare 415, before the endpoint's filters), where JsonBody answers them.
        builder.Metadata.Add(new AcceptsMetadata([], typeof(TBody)));
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status400BadRequest, typeof(HttpValidationProblemDetails), ["application/problem+json"]));
        builder.Metadata.Add(Problems.ResponseMetadata(StatusCodes.Status415UnsupportedMediaType));

        var position = parameter.Position;
        builder.FilterFactories.Add((_, next) => async invocation =>
        {
            var (value, problem) = await read(invocation.HttpContext.Request);
            if (problem is not null)
            {
                return problem;
            }
            receive(invocation.GetArgument<TParameter>(position), value!);
            return await next(invocation);
        });
    }
}
