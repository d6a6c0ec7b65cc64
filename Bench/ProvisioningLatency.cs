using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace TieredTenancy.Bench;

/// <summary>
/// Tenant creation through the admin API (<c>POST /admin/tenants</c>), one tenant at a time, per
/// isolation: the time from sending the request to having read the 201 response.
/// </summary>
public static class ProvisioningLatency
{
    public static async Task<IReadOnlyDictionary<Tier, IReadOnlyList<double>>> MeasureAsync(HttpClient admin, BenchOptions options)
    {
        var slugs = new SlugSource();
        var results = new Dictionary<Tier, IReadOnlyList<double>>();
        foreach (var tier in Tiers.All)
        {
            Console.Error.WriteLine($"  admin API: {options.WarmupsPerPlan} warm-up + {options.TenantsPerPlan} '{tier.Plan}' tenants ({tier.Isolation})");
            results[tier] = await Timing.RepeatAsync(options.WarmupsPerPlan, options.TenantsPerPlan,
                _ => CreateAsync(admin, tier, slugs.Next(tier.Plan)));
        }
        return results;
    }

    private static async Task<double> CreateAsync(HttpClient admin, Tier tier, string slug)
    {
        HttpStatusCode status = default;
        var body = "";
        var elapsed = await Timing.MillisecondsAsync(async () =>
        {
            using var response = await admin.PostAsJsonAsync("/admin/tenants", new { slug, name = $"Bench {slug}", plan = tier.Plan });
            status = response.StatusCode;
            body = await response.Content.ReadAsStringAsync();
        });

        if (status != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"Creating '{slug}' ({tier.Plan}) answered {(int)status}: {body}");
        }
        var isolation = JsonDocument.Parse(body).RootElement.GetProperty("isolation").GetString();
        if (isolation != tier.Isolation)
        {
            throw new InvalidOperationException($"Plan '{tier.Plan}' provisioned '{slug}' at {isolation} isolation, not {tier.Isolation}.");
        }
        return elapsed;
    }
}

/// <summary>Unique slugs matching <c>^[a-z][a-z0-9-]{2,39}$</c>: <c>bench-&lt;run&gt;-&lt;plan&gt;-&lt;n&gt;</c>.</summary>
public sealed class SlugSource
{
    private readonly string _run = Guid.NewGuid().ToString("N")[..6];
    private int _counter;

    public string Next(string plan) => $"bench-{_run}-{plan}-{++_counter}";
}
