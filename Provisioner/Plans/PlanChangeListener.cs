using TieredTenancy.Tenancy.Registry;

namespace TieredTenancy.Provisioner.Plans;

/// <summary>
/// Drops this Provisioner's copy of the plans when any Provisioner instance changes one (or when changes may have been
/// missed), so a second instance checks creations, moves and usage against the new limits at once rather than when its
/// copy expires (30 s).
/// </summary>
public sealed class PlanChangeListener(PlanCatalog plans) : IRegistryChangeHandler
{
    public ValueTask ApplyAsync(string change, CancellationToken cancellationToken)
    {
        if (change == RegistryChanges.PlansChanged)
        {
            plans.Forget();
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask MissedChangesAsync(CancellationToken cancellationToken)
    {
        plans.Forget();
        return ValueTask.CompletedTask;
    }
}
