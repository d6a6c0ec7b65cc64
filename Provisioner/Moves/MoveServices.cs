using TieredTenancy.Provisioner.Operations;
using TieredTenancy.Tenancy.Hosting;
using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Moves;

public static class MoveServices
{
    /// <summary>Tier moves (plan changes across isolation, rebalancing between dedicated servers).</summary>
    public static IHostApplicationBuilder AddTierMoves(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<MoveOptions>(MoveOptions.SectionName);
        builder.Services.AddOperationHandler<TierMove>(OperationKind.Move);
        builder.Services.AddScoped<TierMoveStarter>();
        return builder;
    }
}
