using System.Globalization;
using Npgsql;
using TieredTenancy.Provisioner.Storage;
using TieredTenancy.Tenancy.Cache;
using TieredTenancy.Tenancy.Data;
using TieredTenancy.Tenancy.Plans;
using TieredTenancy.Tenancy.Registry;
using TieredTenancy.Tenancy.Storage;

namespace TieredTenancy.Provisioner.Usage;

/// <summary>
/// A tenant's usage against its plan's limits: requests per day by plan (counted by the Api
/// replicas in Redis, <c>t:{id}:requests:{day}</c>), and rows and bytes per table where its data
/// lives. Bytes are what the tenant's own storage takes (tables with their indexes and TOAST) in
/// the schema and database tiers, and the size of its rows in the shared tables of the row tier.
/// </summary>
public sealed class TenantUsage(IEnumerable<ITierStorage> tiers, TenantTables tables, RedisCircuit redis)
{
    /// <summary>Days of request counts kept and reported.</summary>
    public const int RequestDays = 30;

    public async Task<TenantUsageReport> MeasureAsync(Tenant tenant, Plan plan, CancellationToken cancellationToken)
    {
        var tier = tiers.Single(tier => tier.Kind == tenant.Isolation);
        var usage = new List<TableUsage>();
        await using (var connection = await tier.ConnectAsync(tenant.Placement, cancellationToken))
        {
            foreach (var table in tables.ParentsFirst)
            {
                var name = $"{Sql.Id(tenant.Placement.Schema)}.{Sql.Id(table)}";
                var bytes = tenant.Isolation == IsolationKind.Row ? "coalesce(sum(pg_column_size(t.*)), 0)" : $"pg_total_relation_size('{name}')";
                await using var command = new NpgsqlCommand($"SELECT count(*), {bytes} FROM {name} t WHERE tenant_id = $1", connection);
                command.Parameters.Add(new NpgsqlParameter { Value = tenant.Id });
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                await reader.ReadAsync(cancellationToken);
                usage.Add(new TableUsage(table, reader.GetInt64(0), Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture)));
            }
        }
        // Without Redis the report still answers, at once, with the storage figures and no request counts.
        var requests = await RequestsAsync(tenant.Id);
        var totalBytes = usage.Sum(table => table.Bytes);
        var over = new List<string>();
        var projects = usage.FirstOrDefault(table => table.Table == "projects")?.Rows ?? 0;
        if (projects > plan.Limits.MaxProjects)
        {
            over.Add($"projects: {projects} of {plan.Limits.MaxProjects}");
        }
        if (totalBytes > plan.Limits.StorageMegabytes * 1024L * 1024)
        {
            over.Add($"storage: {totalBytes / (1024 * 1024)} MB of {plan.Limits.StorageMegabytes} MB");
        }
        return new TenantUsageReport(tenant.Id, tenant.Plan, tenant.Isolation.ToString().ToLowerInvariant(), requests ?? [], requests is not null,
            usage, totalBytes, new UsageLimits(plan.Limits.RequestsPerMinute, plan.Limits.MaxProjects, plan.Limits.StorageMegabytes), over);
    }

    /// <summary>The Redis key of a tenant's request counts of one day (a hash: plan → requests), written by the Api.</summary>
    public static string RequestKey(Guid tenantId, DateOnly day) => $"t:{tenantId}:requests:{day:yyyy-MM-dd}";

    /// <summary>The last days' request counts, or null when Redis does not answer in time.</summary>
    private async Task<IReadOnlyList<DayRequests>?> RequestsAsync(Guid tenantId)
    {
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var days = Enumerable.Range(0, RequestDays).Select(back => today.AddDays(-back)).ToList();
        var answer = await redis.CallAsync(async database =>
        {
            var batch = database.CreateBatch();
            var reads = days.Select(day => batch.HashGetAllAsync(RequestKey(tenantId, day))).ToList();
            batch.Execute();
            return await Task.WhenAll(reads);
        });
        if (!answer.Answered)
        {
            return null;
        }
        var result = new List<DayRequests>();
        foreach (var (day, counts) in days.Zip(answer.Value))
        {
            var byPlan = counts.ToDictionary(entry => entry.Name.ToString(), entry => (long)entry.Value);
            if (byPlan.Count > 0)
            {
                result.Add(new DayRequests(day, byPlan.Values.Sum(), byPlan));
            }
        }
        return result;
    }
}

/// <param name="RequestCountsAvailable">False when Redis, which holds the request counts, did not answer: <paramref name="Requests"/> is then empty.</param>
public sealed record TenantUsageReport(Guid TenantId, string Plan, string Isolation, IReadOnlyList<DayRequests> Requests, bool RequestCountsAvailable,
    IReadOnlyList<TableUsage> Tables, long TotalBytes, UsageLimits Limits, IReadOnlyList<string> OverLimits);

public sealed record DayRequests(DateOnly Day, long Total, IReadOnlyDictionary<string, long> ByPlan);

public sealed record TableUsage(string Table, long Rows, long Bytes);

public sealed record UsageLimits(int RequestsPerMinute, int MaxProjects, int StorageMegabytes);
