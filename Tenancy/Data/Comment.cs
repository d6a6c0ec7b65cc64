namespace TieredTenancy.Tenancy.Data;

public sealed class Comment : ITenantOwned
{
    public Guid TenantId { get; set; }

    public Guid Id { get; init; } = Guid.CreateVersion7();

    public Guid TaskId { get; set; }

    public required string Author { get; set; }

    public required string Body { get; set; }

    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;
}
