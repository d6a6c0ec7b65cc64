namespace TieredTenancy.Provisioner.Broadcast;

public static class BroadcastServices
{
    /// <summary>The registry broadcast: tells every Api replica what changed, so each drops its cached copy.</summary>
    public static IHostApplicationBuilder AddRegistryBroadcast(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<RegistryBroadcast>();
        return builder;
    }
}
