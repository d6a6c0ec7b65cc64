using System.Globalization;
using System.Text;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using TieredTenancy.Tenancy.Cache;
using TieredTenancy.Tenancy.Http;

namespace TieredTenancy.Provisioner.Tokens;

/// <summary>
/// Against secret guessing: after <see cref="TokenOptions.MaxFailedRequests"/> refused token requests
/// (401) within a <see cref="TokenOptions.FailureWindow"/>, a client id gets 429 until the window ends.
/// Only refusals count, so a client with its secret is never slowed. The count lives in Redis, so
/// every Provisioner replica refuses the same guesser; when Redis does not answer in time (<see cref="RedisCircuit"/>),
/// each replica counts on its own (a guesser then gets at most the limit per replica). Not ASP.NET Core's rate-limiting middleware: OpenIddict checks the secret during
/// authentication, before it would run.
/// </summary>
public sealed class TokenRequestThrottle(RedisCircuit redis, IOptions<TokenOptions> options, ILogger<TokenRequestThrottle> logger)
    : IMiddleware, IDisposable
{
    public const string TokenPath = "/connect/token";

    // Client ids are at most this long (the registry's column); a longer one is no client, so no secret to guess.
    private const int MaxClientIdLength = 100;

    // The fallback while Redis is away. Idle partitions (all permits back) are dropped by the limiter itself.
    private readonly PartitionedRateLimiter<string> _localRefusals = PartitionedRateLimiter.Create<string, string>(clientId =>
        RateLimitPartition.GetFixedWindowLimiter(clientId, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = options.Value.MaxFailedRequests,
            Window = options.Value.FailureWindow,
            QueueLimit = 0,
        }));

    public static RedisKey RefusalsKey(string clientId) => $"tt:token-refusals:{clientId}";

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

        if (await RetryAfterAsync(clientId) is { } retryAfter)
        {
            var limits = options.Value;
            var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
            http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            await Problems.TooManyRequests(
                    $"Too many refused token requests for this client id ({limits.MaxFailedRequests} within {limits.FailureWindow.TotalSeconds:0} s); try again in {seconds} s.")
                .ExecuteAsync(http);
            return;
        }

        await next(http);

        if (http.Response.StatusCode == StatusCodes.Status401Unauthorized)
        {
            // Concurrent refusals may each have passed the check above: a guesser gains at most its concurrency, once.
            await CountRefusalAsync(clientId);
        }
    }

    /// <summary>How long the client id must wait, or null when it has refusals left in its window.</summary>
    private async Task<TimeSpan?> RetryAfterAsync(string clientId)
    {
        var limits = options.Value;
        var key = RefusalsKey(clientId);
        var answer = await redis.CallAsync(async database =>
        {
            var count = database.StringGetAsync(key);
            var left = database.KeyTimeToLiveAsync(key);
            return (Count: await count, Left: await left);
        });
        if (!answer.Answered)
        {
            logger.LogWarning("Redis did not answer the token throttle; this replica counts refusals on its own");
            // No permit taken: zero asks only whether any is left.
            using var lease = _localRefusals.AttemptAcquire(clientId, 0);
            return lease.IsAcquired ? null : lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : limits.FailureWindow;
        }
        var (count, left) = answer.Value;
        return count.IsNull || (long)count < limits.MaxFailedRequests ? null : left ?? limits.FailureWindow;
    }

    private async Task CountRefusalAsync(string clientId)
    {
        _localRefusals.AttemptAcquire(clientId).Dispose();
        // One transaction: the window starts with the first refusal and always ends, even if this replica dies.
        var taken = await redis.CallAsync(database =>
        {
            var transaction = database.CreateTransaction();
            var key = RefusalsKey(clientId);
            _ = transaction.StringSetAsync(key, 0, options.Value.FailureWindow, When.NotExists);
            _ = transaction.StringIncrementAsync(key);
            return transaction.ExecuteAsync();
        });
        if (!taken.Answered)
        {
            logger.LogWarning("Redis did not take a refused token request; only this replica counted it");
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

    public void Dispose() => _localRefusals.Dispose();
}
