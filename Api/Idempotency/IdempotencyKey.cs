using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using TieredTenancy.Tenancy.Data;
using TieredTenancy.Tenancy.Http;

namespace TieredTenancy.Api.Idempotency;

/// <summary>
/// A client's <c>Idempotency-Key</c> on a create (the IETF httpapi draft's header): sent again with the same key, the create
/// makes nothing new and answers with what the first made. The key names the new row: its id is derived from the tenant, the
/// caller, the kind of row and the key, so the storage's own primary key refuses a second row, in the same transaction as the
/// first's write, in every tier. That is what lets <c>PlacementRetry</c> run such a create again after a cut connection.
/// </summary>
public readonly record struct IdempotencyKey(string Value)
{
    public const string HeaderName = "Idempotency-Key";
    private const int MaxLength = 255;

    /// <summary>The request's key, if it sent one; false with a problem when the header is not a key (1 to 255 visible ASCII characters).</summary>
    public static bool TryRead(HttpRequest request, out IdempotencyKey? key, out ProblemHttpResult? problem)
    {
        (key, problem) = (null, null);
        if (!request.Headers.TryGetValue(HeaderName, out var values))
        {
            return true;
        }
        var value = values.Count == 1 ? values[0] : null;
        // Structured-field strings arrive quoted; the quotes are not part of the key.
        if (value is { Length: > 2 } && value[0] == '"' && value[^1] == '"')
        {
            value = value[1..^1];
        }
        if (string.IsNullOrEmpty(value) || value.Length > MaxLength || value.Any(c => c is < '!' or > '~'))
        {
            problem = Problems.BadRequest($"{HeaderName} must be one value of 1 to {MaxLength} visible ASCII characters.");
            return false;
        }
        key = new IdempotencyKey(value);
        return true;
    }

    /// <summary>The id of the row this key makes: the same for the same tenant, caller, kind and key; a version 8 UUID.</summary>
    public Guid EntityId(Guid tenantId, string actor, string kind)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{tenantId:N}\n{actor}\n{kind}\n{Value}"));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }

    /// <summary>The row's primary key refused it: a create with this key committed before.</summary>
    public static bool IsReplay(DbUpdateException exception) =>
        exception.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: { } constraint }
        && constraint.StartsWith("pk_", StringComparison.Ordinal);

    /// <summary>
    /// Saves the create; null when it was saved. When the key's create committed first (sent twice at once, or cut after
    /// its commit and run again), the primary key refuses this one and the first's answer (<paramref name="replay"/>) is given.
    /// </summary>
    public static async Task<T?> SaveOrReplayAsync<T>(TenantDataContext data, IdempotencyKey? key, Func<Task<T?>> replay, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            await data.SaveChangesAsync(cancellationToken);
            return null;
        }
        catch (DbUpdateException exception) when (key is not null && IsReplay(exception))
        {
            data.ChangeTracker.Clear();
            if (await replay() is { } made)
            {
                return made;
            }
            throw;
        }
    }

    /// <summary>The key came with another request than the one that made the row.</summary>
    public static ProblemHttpResult Reused() =>
        Problems.Unprocessable($"This {HeaderName} was used with a different request; a key names one create only.");
}

/// <summary>Endpoint metadata: the route honours <see cref="IdempotencyKey"/>, so a request carrying one may run again.</summary>
public sealed class HonorsIdempotencyKey
{
    public static readonly HonorsIdempotencyKey Instance = new();
}

public static class IdempotencyKeyEndpoints
{
    /// <summary>The route makes nothing new when sent again with the same <c>Idempotency-Key</c> (and says so in its document).</summary>
    public static RouteHandlerBuilder HonorsIdempotencyKey(this RouteHandlerBuilder route) =>
        route.WithMetadata(Idempotency.HonorsIdempotencyKey.Instance)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
}
