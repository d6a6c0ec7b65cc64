using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using TieredTenancy.Tenancy.Clients;
using TieredTenancy.Tenancy.Http;

namespace TieredTenancy.Api.Clients;

/// <summary>
/// The tenant's own clients as the Provisioner keeps them, asked with the caller's own access
/// token (<see cref="SelfServiceClients"/>): the Api holds no credential of its own for the
/// control plane and cannot write the catalog; the Provisioner takes the tenant from the token.
/// Its problems come back as they are; an unreachable or failing Provisioner is a 503.
/// </summary>
public sealed class ControlPlaneClients(HttpClient http, ILogger<ControlPlaneClients> logger)
{
    public const string HttpClientName = nameof(ControlPlaneClients);

    /// <summary>The Provisioner's answer: its body (none for a 204), or the problem to answer instead.</summary>
    public async Task<(T? Value, ProblemHttpResult? Problem)> SendAsync<T>(HttpMethod method, string path, string callerToken, object? body,
        CancellationToken cancellationToken) where T : class
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", callerToken);
        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                return (response.StatusCode == HttpStatusCode.NoContent ? null : await response.Content.ReadFromJsonAsync<T>(cancellationToken), null);
            }
            if ((int)response.StatusCode is >= 400 and < 500)
            {
                var problem = await ReadProblemAsync(response, cancellationToken);
                return (null, TypedResults.Problem(problem?.Detail ?? $"The control plane answered {(int)response.StatusCode}.",
                    statusCode: (int)response.StatusCode, title: problem?.Title));
            }
            logger.LogWarning("The control plane answered {Status} for {Method} {Path}", (int)response.StatusCode, method, path);
        }
        catch (Exception exception) when (exception is HttpRequestException or Polly.ExecutionRejectedException)
        {
            logger.LogWarning(exception, "The control plane could not be reached for {Method} {Path}", method, path);
        }
        return (null, Problems.Unavailable("The control plane, which keeps the tenant's clients, did not answer; try again shortly."));
    }

    private static async Task<ProblemDetails?> ReadProblemAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync<ProblemDetails>(cancellationToken);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
