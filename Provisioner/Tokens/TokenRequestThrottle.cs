using System.Globalization;
using System.Text;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using TieredTenancy.Tenancy.Http;

namespace TieredTenancy.Provisioner.Tokens;

/// <summary>
/// Against secret guessing: after <see cref="TokenOptions.MaxFailedRequests"/> refused token requests
/// (401) within a <see cref="TokenOptions.FailureWindow"/>, a client id gets 429 until the window ends.
/// Only refusals take a permit, so a client with its secret is never slowed. Not ASP.NET Core's
/// rate-limiting middleware: OpenIddict checks the secret during authentication, before it would run.
/// </summary>
public sealed class TokenRequestThrottle(IOptions<TokenOptions> options) : IMiddleware, IDisposable
{
    public const string TokenPath = "/connect/token";

    // Client ids are at most this long (the registry's column); a longer one is no client, so no secret to guess.
    private const int MaxClientIdLength = 100;

    // Idle partitions (all permits back) are dropped by the limiter itself, so unknown ids cost nothing for long.
    private readonly PartitionedRateLimiter<string> _refusals = PartitionedRateLimiter.Create<string, string>(clientId =>
        RateLimitPartition.GetFixedWindowLimiter(clientId, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = options.Value.MaxFailedRequests,
            Window = options.Value.FailureWindow,
            QueueLimit = 0,
        }));

    public async Task InvokeAsync(HttpContext http, RequestDelegate next)
    {
        var clientId = HttpMethods.IsPost(http.Request.Method) && http.Request.Path.Equals(TokenPath, StringComparison.Ordinal)
            ? await ClientIdAsync(http.Request)
            : null;
        if (clientId is null)
        {
            await next(http);
            return;
        }

        // No permit taken: zero asks only whether any is left.
        using (var left = _refusals.AttemptAcquire(clientId, 0))
        {
            if (!left.IsAcquired)
            {
                var limits = options.Value;
                var retryAfter = left.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : limits.FailureWindow;
                var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
                http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                await Problems.TooManyRequests(
                        $"Too many refused token requests for this client id ({limits.MaxFailedRequests} within {limits.FailureWindow.TotalSeconds:0} s); try again in {seconds} s.")
                    .ExecuteAsync(http);
                return;
            }
        }

        await next(http);

        if (http.Response.StatusCode == StatusCodes.Status401Unauthorized)
        {
            // Concurrent refusals may each have passed the peek above: a guesser gains at most its concurrency, once.
            _refusals.AttemptAcquire(clientId).Dispose();
        }
    }

    /// <summary>The client id of a token request: the form's <c>client_id</c>, or the user name of HTTP Basic authentication.</summary>
    private static async Task<string?> ClientIdAsync(HttpRequest request)
    {
        string? clientId = null;
        if (request.Headers.Authorization.ToString() is { } authorization && authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                var pair = Encoding.UTF8.GetString(Convert.FromBase64String(authorization["Basic ".Length..].Trim()));
                clientId = Uri.UnescapeDataString(pair.Split(':', 2)[0]);
            }
            catch (FormatException)
            {
                // Malformed: OpenIddict refuses it without checking any secret.
            }
        }
        else if (request.HasFormContentType)
        {
            // Read once here; OpenIddict gets the same parsed form.
            clientId = (await request.ReadFormAsync(request.HttpContext.RequestAborted))["client_id"].ToString();
        }
        return string.IsNullOrEmpty(clientId) || clientId.Length > MaxClientIdLength ? null : clientId;
    }

    public void Dispose() => _refusals.Dispose();
}
