using System.Text.Json;
using Npgsql;

namespace TieredTenancy.Bench.Moves;

/// <summary>A tenant's placement as the admin API reports it, reached as the server's superuser.</summary>
public sealed record BenchPlacement(string Server, string Database, string Schema)
{
    public const string SharedServer = "postgres";

    public static readonly string[] TablesParentsFirst = ["projects", "tasks", "comments", "audit_entries"];

    public static BenchPlacement From(JsonElement tenant)
    {
        var placement = tenant.GetProperty("placement");
        return new(placement.GetProperty("server").GetString()!, placement.GetProperty("database").GetString()!, placement.GetProperty("schema").GetString()!);
    }

    public bool IsShared => Server == SharedServer;

    public async Task<NpgsqlConnection> OpenAsync(BenchStack stack, string? database = null)
    {
        var builder = new NpgsqlConnectionStringBuilder(await stack.ConnectionStringAsync(IsShared ? "tenants" : Server))
        {
            Database = database ?? Database,
            Pooling = false,
            CommandTimeout = 600,
        };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public string Table(string table) => $"\"{Schema}\".\"{table}\"";

    /// <summary>How many of <paramref name="ids"/> are tasks of the tenant here.</summary>
    public async Task<long> CountTasksAsync(BenchStack stack, Guid tenantId, IReadOnlyCollection<Guid> ids)
    {
        await using var connection = await OpenAsync(stack);
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM {Table("tasks")} WHERE tenant_id = $1 AND id = ANY($2)", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
        command.Parameters.Add(new NpgsqlParameter { Value = ids.ToArray() });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Rows of the tenant here, all tables.</summary>
    public async Task<long> CountRowsAsync(BenchStack stack, Guid tenantId)
    {
        await using var connection = await OpenAsync(stack);
        long rows = 0;
        foreach (var table in TablesParentsFirst)
        {
            await using var command = new NpgsqlCommand($"SELECT count(*) FROM {Table(table)} WHERE tenant_id = $1", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = tenantId });
            rows += (long)(await command.ExecuteScalarAsync())!;
        }
        return rows;
    }

    /// <summary>
    /// Fills the tenant's tables here straight in SQL (as the superuser, past row-level security):
    /// <paramref name="projects"/> projects, and <paramref name="rowsPerTable"/> tasks and as many comments.
    /// </summary>
    public async Task SeedAsync(BenchStack stack, Guid tenantId, int projects, int rowsPerTable)
    {
        await using var connection = await OpenAsync(stack);
        var tasksPerProject = rowsPerTable / projects;
        // Named parameters: Npgsql splits the statements and binds each (positional ones would go as one prepared statement).
        await using var command = new NpgsqlCommand($"""
            INSERT INTO {Table("projects")} (tenant_id, id, name, description, created_at, updated_at)
              SELECT @tenant, gen_random_uuid(), 'project ' || i, 'seeded for the move benchmark', now(), now() FROM generate_series(1, @projects) i;
            INSERT INTO {Table("tasks")} (tenant_id, id, project_id, title, status, assignee, due_on, created_at, updated_at)
              SELECT @tenant, gen_random_uuid(), p.id, 'task ' || g || ' of ' || p.name || ' with words to search', 'Todo', 'sam', current_date + g, now(), now()
              FROM {Table("projects")} p, generate_series(1, @perProject) g WHERE p.tenant_id = @tenant;
            INSERT INTO {Table("comments")} (tenant_id, id, task_id, author, body, created_at)
              SELECT @tenant, gen_random_uuid(), t.id, 'sam', 'a comment on ' || t.title, now() FROM {Table("tasks")} t WHERE t.tenant_id = @tenant;
            ANALYZE {Table("projects")}; ANALYZE {Table("tasks")}; ANALYZE {Table("comments")};
            """, connection);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.AddWithValue("projects", projects);
        command.Parameters.AddWithValue("perProject", tasksPerProject);
        await command.ExecuteNonQueryAsync();
    }
}
