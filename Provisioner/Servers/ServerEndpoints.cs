using Microsoft.AspNetCore.Http.HttpResults;

namespace TieredTenancy.Provisioner.Servers;

public static class ServerEndpoints
{
    public static RouteGroupBuilder MapServerEndpoints(this RouteGroupBuilder admin)
    {
        admin.MapGet("/servers", ListAsync).WithTags("Servers")
            .WithName("ListServers").WithSummary("Each PostgreSQL server: tenants, connections against its budget, database sizes");
        return admin;
    }

    private static async Task<Ok<IReadOnlyList<ServerReport>>> ListAsync(ServerLoad load, CancellationToken cancellationToken) =>
        TypedResults.Ok(await load.AllAsync(withSizes: true, cancellationToken));
}
