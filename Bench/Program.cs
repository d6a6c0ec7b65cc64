using TieredTenancy.Bench;

// Provisioning latency per isolation through the admin API, next to the raw PostgreSQL cost of the
// same work on the same servers, and the stack's cold start: one run, one table.
var options = BenchOptions.Parse(args);
if (options is null)
{
    return 2;
}

Console.Error.WriteLine("starting the stack (Local mode, ephemeral data)...");
await using var stack = await BenchStack.StartAsync();
Console.Error.WriteLine($"  every resource healthy after {stack.ColdStart.TotalSeconds:0.0} s");

using var admin = await stack.AdminClientAsync();
var api = await ProvisioningLatency.MeasureAsync(admin, options);
var raw = await RawPostgresCost.MeasureAsync(stack, options);

Console.WriteLine();
Console.Write(Report.Render(stack, options, api, raw));
return 0;
