using Microsoft.EntityFrameworkCore;
using TieredTenancy.Api.Features;
using TieredTenancy.Api.Tasks;
using TieredTenancy.Tenancy.Data;
using TieredTenancy.Tenancy.Http;
using TieredTenancy.Tenancy.Plans;

namespace TieredTenancy.Api.Search;

public static class SearchEndpoints
{
    public static RouteGroupBuilder MapSearchEndpoints(this RouteGroupBuilder tenantPlane)
    {
        tenantPlane.MapGet("/tasks/search", SearchAsync).RequireFeature(PlanFeatures.Search).WithTags("Search");
        return tenantPlane;
    }

    private static async Task<IResult> SearchAsync(string? q, HttpRequest request, TenantDataContext data, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(q) || q.Length > 200)
        {
            return Problems.Validation(new Dictionary<string, string[]> { ["q"] = ["q must be 1 to 200 characters."] });
        }
        if (!PageRequest.TryParse(request, out var page, out var problem))
        {
            return problem!;
        }
        // plainto_tsquery takes any text safely: words, not query syntax.
        var matches = data.Tasks.AsNoTracking().Where(t => t.SearchVector.Matches(EF.Functions.PlainToTsQuery("simple", q)));
        var total = await matches.CountAsync(cancellationToken);
        var items = await matches.OrderBy(t => t.Id).Skip(page.Skip).Take(page.PageSize).Select(t => TaskResponse.From(t)).ToListAsync(cancellationToken);
        return Results.Ok(new PagedList<TaskResponse>(items, page.Page, page.PageSize, total));
    }
}
