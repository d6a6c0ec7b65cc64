using System.ComponentModel;
using Microsoft.AspNetCore.Http.HttpResults;
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
        tenantPlane.MapGet("/tasks/search", SearchAsync).RequireFeature(PlanFeatures.Search).WithTags("Search")
            .WithName("SearchTasks").WithSummary("Find tasks by the words of their titles");
        return tenantPlane;
    }

    private static async Task<Results<Ok<PagedList<TaskResponse>>, ValidationProblem>> SearchAsync(
        [Description("Words to find in task titles, 1 to 200 characters.")] string? q, [AsParameters] PageQuery query, TenantDataContext data,
        CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(q) || q.Length > 200)
        {
            return Problems.Validation(new Dictionary<string, string[]> { ["q"] = ["q must be 1 to 200 characters."] });
        }
        if (!query.TryRead(out var page, out var problem))
        {
            return problem;
        }
        // plainto_tsquery takes any text safely: words, not query syntax.
        var matches = data.Tasks.AsNoTracking().Where(t => t.SearchVector.Matches(EF.Functions.PlainToTsQuery("simple", q)));
        var total = await matches.CountAsync(cancellationToken);
        var shape = data.Shape;
        var items = await matches.OrderBy(t => t.Id).Skip(page.Skip).Take(page.PageSize).Select(t => TaskResponse.From(t, shape)).ToListAsync(cancellationToken);
        return TypedResults.Ok(new PagedList<TaskResponse>(items, page.Page, page.PageSize, total));
    }
}
