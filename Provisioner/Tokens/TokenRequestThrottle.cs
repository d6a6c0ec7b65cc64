using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using TieredTenancy.Tenancy.Http;

namespace TieredTenancy.Provisioner.Tokens;

/// <summary>
/// Against secret guessing: a client id whose token requests were refused <see
/// cref="TokenOptions.MaxFailedRequests"/> times within <see cref="TokenOptions.FailureWindow"/>
/// (10 a minute by default) gets 429 with <c>Retry-After</c> for every request, right secret or
/// not, until that window ends. Only refusals count (401: unknown client or wrong secret), so a
/// client with its secret is never slowed, however often it asks; a guesser gets 10 tries a
/// minute at a 256-bit secret. The counts live in Redis, so every Provisioner instance shares them.
/// </summary>
/// <remarks>
/// Not ASP.NET Core's rate-limiting middleware: it takes its permit before the request and cannot
/// tell a refusal from a token, and OpenIddict checks the secret inside the authentication
/// middleware, before any endpoint's limiter would run. This runs ahead of authentication.
/// </remarks>
public sealed class TokenRequestThrottle(RequestDelegate next, IConnectionMultiplexer redis, IOptionsMonitor<TokenOptions> options,
    ILogger<TokenRequestThrottle> logger)
{
    public const string TokenPath = "/connect/token";

    // Client ids are at most this long (the registry's column); a longer one is no client, so no secret to guess.
    private const int MaxClientIdLength = 100;

    // Counts a refusal and starts the window with the first one, in one step.
    private static readonly LuaScript CountRefusal = LuaScript.Prepare(
        "local n = redis.call('INCR', @key) if n == 1 then redis.call('PEXPIRE', @key, @windowMs) end return n");

    public async Task InvokeAsync(HttpContext http)
    {
        var clientId = HttpMethods.IsPost(http.Request.Method) && http.Request.Path.Equals(TokenPath, StringComparison.Ordinal)
            ? await ClientIdAsync(http.Request)
            : null;
        if (clientId is null)
        {
            await next(http);
            return;
        }

        var limits = options.CurrentValue;
        RedisKey key = $"tt:token-refusals:{clientId}";
        var database = redis.GetDatabase();
        // Nothing counted (or Redis out of reach) reads as no refusal.
        var refusals = await TryAsync(() => database.StringGetWithExpiryAsync(key));
        if ((long)refusals.Value >= limits.MaxFailedRequests)
        {
            var retryAfter = Math.Max(1, (int)Math.Ceiling((refusals.Expiry ?? limits.FailureWindow).TotalSeconds));
            http.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
            await Problems.TooManyRequests(
                    $"Too many refused token requests for this client id ({limits.MaxFailedRequests} within {limits.FailureWindow.TotalSeconds:0} s); try again in {retryAfter} s.")
                .ExecuteAsync(http);
            return;
        }

        await next(http);

        if (http.Response.StatusCode == StatusCodes.Status401Unauthorized)
        {
            await TryAsync(() => database.ScriptEvaluateAsync(CountRefusal, new { key, windowMs = (long)limits.FailureWindow.TotalMilliseconds }));
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

    // The throttle is a second line (secrets are 256 random bits): without Redis, requests go on and the outage is logged.
    private async Task<T> TryAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            logger.LogWarning(exception, "The token request throttle could not reach Redis; the request is not throttled");
            return default!;
        }
    }
}
