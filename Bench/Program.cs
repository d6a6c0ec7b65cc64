using TieredTenancy.Bench;
using TieredTenancy.Bench.Archives;
using TieredTenancy.Bench.Capacity;
using TieredTenancy.Bench.Failover;
using TieredTenancy.Bench.Migrations;
using TieredTenancy.Bench.Moves;
using TieredTenancy.Bench.Profiling;

// One run of the stack, one table per measurement: provisioning latency per isolation through the
// admin API next to the raw PostgreSQL cost (and the stack's cold start), Api request throughput
// per isolation next to the plain baseline route, tier moves of a large tenant next to a raw copy,
// a fleet migration next to the raw DDL of the same step, and a move whose Provisioner replica is killed.
var options = BenchOptions.Parse(args);
if (options is null)
{
    return 2;
}

Console.Error.WriteLine("starting the stack (Local mode, ephemeral data)...");
await using var stack = await BenchStack.StartAsync();
Console.Error.WriteLine($"  every resource healthy after {stack.ColdStart.TotalSeconds:0.0} s");
foreach (var line in stack.StartLines)
{
    Console.Error.WriteLine($"    {line}");
}

// The capacity measurements first: they need the seed plans' request limits, which the others lift. A profile measures nothing else.
if (options.Profile is null && options.Runs(Measurements.Capacity))
{
    var noisy = await CapacityBenchmark.NoisyNeighbourAsync(stack, options);
    Console.WriteLine();
    Console.Write(CapacityBenchmark.Render(noisy, null));
    var sweep = await CapacityBenchmark.SweepAsync(stack, options, new TieredTenancy.Tenancy.Capacity.CapacityOptions().DedicatedConnectionBudget);
    Console.Write(CapacityBenchmark.Render(null, sweep));
}
await stack.LiftRequestLimitsAsync();

if (options.Profile is { } profile)
{
    Console.Write(await ApiProfile.RunAsync(stack, options, profile));
    return 0;
}

if (options.Runs(Measurements.Provisioning))
{
    using var admin = await stack.AdminClientAsync();
    var api = await ProvisioningLatency.MeasureAsync(admin, options);
    var raw = await RawPostgresCost.MeasureAsync(stack, options);
    Console.WriteLine();
    Console.Write(Report.Render(stack, options, api, raw));
}

if (options.Runs(Measurements.Api))
{
    var throughput = await ApiThroughput.MeasureAsync(stack, options);
    Console.WriteLine();
    Console.Write(ThroughputReport.Render(throughput));
}

if (options.Runs(Measurements.Moves))
{
    var moves = await MoveBenchmark.MeasureAsync(stack, options);
    Console.WriteLine();
    Console.Write(MoveReport.Render(moves));
}

if (options.Runs(Measurements.Failover))
{
    var failover = await FailoverBenchmark.MeasureAsync(stack, options);
    Console.WriteLine();
    Console.Write(FailoverReport.Render(failover));
}

if (options.Runs(Measurements.Migrations))
{
    var migration = await MigrationBenchmark.MeasureAsync(stack, options);
    Console.WriteLine();
    Console.Write(MigrationReport.Render(migration));
}

if (options.Runs(Measurements.Archives))
{
    var archives = await ArchiveBenchmark.MeasureAsync(stack, options);
    Console.WriteLine();
    Console.Write(ArchiveReport.Render(archives));
}
return 0;
