using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Primitives;

namespace TieredTenancy.Tenancy.Http;

/// <summary>A page of a list: <c>{ items, page, pageSize, total }</c>.</summary>
public sealed record PagedList<T>(IReadOnlyList<T> Items, int Page, int PageSize, int Total);

/// <summary>
/// <c>?page=1&amp;pageSize=50</c> as a handler takes them (<c>[AsParameters]</c>), still as text, so
/// that <see cref="TryRead"/> can say exactly what is wrong with them.
/// </summary>
public sealed class PageQuery
{
    [FromQuery(Name = "page"), Description("The page, from 1 (the default).")]
    public string? Page { get; init; }

    [FromQuery(Name = "pageSize"), Description("Items per page, 1 to 200; 50 by default.")]
    public string? PageSize { get; init; }

    public bool TryRead(out PageRequest page, [NotNullWhen(false)] out ValidationProblem? problem) =>
        PageRequest.TryParse(Page, PageSize, out page, out problem);
}

/// <summary><c>?page=1&amp;pageSize=50</c>, validated: page ≥ 1, 1 ≤ pageSize ≤ 200.</summary>
public readonly record struct PageRequest(int Page, int PageSize)
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 200;

    public int Skip => (Page - 1) * PageSize;

    public static bool TryParse(HttpRequest request, out PageRequest page, [NotNullWhen(false)] out ValidationProblem? problem) =>
        TryParse(request.Query["page"], request.Query["pageSize"], out page, out problem);

    public static bool TryParse(StringValues pageText, StringValues pageSizeText, out PageRequest page, [NotNullWhen(false)] out ValidationProblem? problem)
    {
        page = default;
        problem = null;
        var errors = new Dictionary<string, string[]>();
        var number = ParseOrDefault(pageText, 1, "page", errors);
        var size = ParseOrDefault(pageSizeText, DefaultPageSize, "pageSize", errors);
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

    private static int ParseOrDefault(StringValues values, int fallback, string name, Dictionary<string, string[]> errors)
    {
        if (values.Count == 0 || string.IsNullOrEmpty(values[0]))
        {
            return fallback;
        }
        if (values.Count > 1 || !int.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            errors[name] = [$"{name} must be a whole number."];
            return fallback;
        }
        return value;
    }
}
