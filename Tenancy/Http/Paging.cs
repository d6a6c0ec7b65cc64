using Microsoft.AspNetCore.Http;

namespace TieredTenancy.Tenancy.Http;

/// <summary>A page of a list: <c>{ items, page, pageSize, total }</c>.</summary>
public sealed record PagedList<T>(IReadOnlyList<T> Items, int Page, int PageSize, int Total);

/// <summary><c>?page=1&amp;pageSize=50</c>, validated: page ≥ 1, 1 ≤ pageSize ≤ 200.</summary>
public readonly record struct PageRequest(int Page, int PageSize)
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 200;

    public int Skip => (Page - 1) * PageSize;

    public static bool TryParse(HttpRequest request, out PageRequest page, out IResult? problem)
    {
        page = default;
        problem = null;
        var errors = new Dictionary<string, string[]>();
        var number = ParseOrDefault(request.Query["page"], 1, "page", errors);
        var size = ParseOrDefault(request.Query["pageSize"], DefaultPageSize, "pageSize", errors);
        if (errors.Count == 0 && number < 1)
        {
            errors["page"] = ["page must be 1 or more."];
        }
        if (errors.Count == 0 && size is < 1 or > MaxPageSize)
        {
            errors["pageSize"] = [$"pageSize must be between 1 and {MaxPageSize}."];
        }
        if (errors.Count > 0)
        {
            problem = Problems.Validation(errors);
            return false;
        }
        page = new PageRequest(number, size);
        return true;
    }

    private static int ParseOrDefault(Microsoft.Extensions.Primitives.StringValues values, int fallback, string name, Dictionary<string, string[]> errors)
    {
        if (values.Count == 0 || string.IsNullOrEmpty(values[0]))
        {
            return fallback;
        }
        if (values.Count > 1 || !int.TryParse(values[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value))
        {
            errors[name] = [$"{name} must be a whole number."];
            return fallback;
        }
        return value;
    }
}
