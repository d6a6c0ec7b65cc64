using Npgsql;

namespace TieredTenancy.Bench;

/// <summary>
/// Database tier, raw: <c>CREATE DATABASE x TEMPLATE tt_template</c> on <c>postgres-dedicated</c>
/// (the pre-migrated template the Provisioner creates at start), from its maintenance database, as
/// the superuser. The clone is dropped after each repetition, untimed.
/// </summary>
public static class RawTenantDatabase
{
    public const string Template = "tt_template";

    public static async Task<IReadOnlyList<double>> MeasureAsync(NpgsqlConnection server, int warmups, int repetitions) =>
        await Timing.RepeatAsync(warmups, repetitions, async _ =>
        {
            var name = $"bench_d_{Guid.NewGuid():N}";
            try
            {
                return await Timing.MillisecondsAsync(async () =>
                {
                    await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\" TEMPLATE {Template}", server);
                    await create.ExecuteNonQueryAsync();
                });
            }
            finally
            {
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\"", server);
                await drop.ExecuteNonQueryAsync();
            }
        });
}
