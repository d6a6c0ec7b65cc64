using TieredTenancy.Provisioner.Servers;
using TieredTenancy.Tenancy.Data;
using Microsoft.Extensions.Options;
using Npgsql;
using TieredTenancy.Provisioner.Operations;
using TieredTenancy.Tenancy.Plans;
using TieredTenancy.Tenancy.Registry;
using TieredTenancy.Tenancy.Storage;

namespace TieredTenancy.Provisioner.Storage;

/// <summary>
/// Row tier: the shared tables already exist with RLS, so a new tenant is its registry row; its
/// storage is its rows in every shared table.
/// </summary>
public sealed class RowTierStorage(TenantServers servers, TenantTables tables, StorageVersions versions, IOptions<OperationOptions> operations) : ITierStorage
{
    public IsolationKind Kind => IsolationKind.Row;

    public bool HasOwnTarget => false;

    public Task<Placement> PlaceAsync(Guid tenantId, string? server, CancellationToken cancellationToken) =>
        Task.FromResult(new Placement { Server = servers.SharedServer, Database = servers.SharedDatabase, Schema = "public" });

    public async Task<string> CreateAsync(Guid tenantId, Placement placement, string? version, CancellationToken cancellationToken)
    {
        // The shared tables serve every row tenant at one version; a tenant at another cannot join them.
        var shared = await versions.SharedTablesAsync(cancellationToken);
        if (version is not null && version != shared)
        {
            throw new StorageVersionMismatchException(
                $"The shared tables are at migration {shared} and the tenant's data at {version}; migrate them to one version first.");
        }
        return shared;
    }

    public async Task RemoveAsync(Guid tenantId, Placement placement, CancellationToken cancellationToken)
    {
        await using var connection = await ConnectAsync(placement, cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // In one transaction, a statement per key range of RowsPerStatement rows: each fits an attempt's statement timeout. The ranges
        // come from one pass over the index (a LIMIT per statement would walk the rows already deleted again each time).
        foreach (var table in tables.ChildrenFirst)
        {
            var qualified = $"public.{Sql.Id(table)}";
            var rows = await Sql.ScalarAsync<long>(connection, $"SELECT count(*) FROM {qualified} WHERE tenant_id = $1", cancellationToken, tenantId);
            foreach (var range in await KeyRanges.OfAsync(connection, transaction, qualified, tenantId, rows, operations.Value.RowsPerStatement, cancellationToken))
            {
                await using var delete = new NpgsqlCommand($"DELETE FROM {qualified} WHERE tenant_id = $1{range.Condition}", connection, transaction);
                delete.Parameters.Add(new NpgsqlParameter { Value = tenantId });
                await delete.ExecuteNonQueryAsync(cancellationToken);
            }
        }
        await transaction.CommitAsync(cancellationToken);
    }

    public Task<NpgsqlConnection> ConnectAsync(Placement placement, CancellationToken cancellationToken) =>
        servers.ConnectSharedAsync(cancellationToken);
}

public sealed class StorageVersionMismatchException(string message) : Exception(message);
