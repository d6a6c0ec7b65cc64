using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using TieredTenancy.Tenancy.Plans;

namespace TieredTenancy.Tenancy.Registry;

/// <summary>
/// The tenant registry (catalog database): plans, tenants and their placements, storage targets,
/// operations, audit events, API clients, plus OpenIddict's and Data Protection's own tables.
/// </summary>
public sealed class CatalogDbContext(DbContextOptions<CatalogDbContext> options) : DbContext(options), IDataProtectionKeyContext
{
    public DbSet<Plan> Plans => Set<Plan>();
    public DbSet<Tenant> Tenants => Set<Tenant>();
    public DbSet<StorageTarget> StorageTargets => Set<StorageTarget>();
    public DbSet<Operation> Operations => Set<Operation>();
    public DbSet<OperationClaim> OperationClaims => Set<OperationClaim>();
    public DbSet<TargetMigration> TargetMigrations => Set<TargetMigration>();
    public DbSet<ControlPlaneAuditEvent> AuditEvents => Set<ControlPlaneAuditEvent>();
    public DbSet<ApiClient> ApiClients => Set<ApiClient>();
    public DbSet<SigningKey> SigningKeys => Set<SigningKey>();
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.UseOpenIddict();

        modelBuilder.Entity<Plan>(plan =>
        {
            plan.HasKey(p => p.Name);
            plan.Property(p => p.Name).HasMaxLength(40);
            plan.Property(p => p.Isolation).HasConversion<string>().HasMaxLength(16);
            plan.OwnsOne(p => p.Limits);
        });

        modelBuilder.Entity<Tenant>(tenant =>
        {
            tenant.HasIndex(t => t.Slug).IsUnique();
            tenant.HasIndex(t => new { t.Plan, t.Status });
            tenant.Property(t => t.Slug).HasMaxLength(40);
            tenant.Property(t => t.Name).HasMaxLength(TenantNames.MaxLength);
            tenant.Property(t => t.Plan).HasMaxLength(40);
            tenant.HasOne<Plan>().WithMany().HasForeignKey(t => t.Plan).OnDelete(DeleteBehavior.Restrict);
            tenant.Property(t => t.Isolation).HasConversion<string>().HasMaxLength(16);
            tenant.Property(t => t.Status).HasConversion<string>().HasMaxLength(16);
            tenant.Property(t => t.DeletionCertificate).HasColumnType("jsonb");
            tenant.OwnsOne(t => t.Placement, placement =>
            {
                placement.Property(p => p.Server).HasMaxLength(63);
                placement.Property(p => p.Database).HasMaxLength(63);
                placement.Property(p => p.Schema).HasMaxLength(63);
                placement.Property(p => p.Role).HasMaxLength(63);
                // The placement epoch doubles as the optimistic concurrency token of a tenant row.
                placement.Property(p => p.Epoch).IsConcurrencyToken();
                // Counting tenants per server is how the placement policy picks one.
                placement.HasIndex(p => p.Server);
            });
        });

        modelBuilder.Entity<StorageTarget>(target =>
        {
            target.Property(t => t.Kind).HasConversion<string>().HasMaxLength(16);
            target.HasIndex(t => new { t.Server, t.Database, t.Schema }).IsUnique();
            target.HasIndex(t => t.TenantId);
            target.Property(t => t.MigrationVersion).HasMaxLength(150);
        });

        modelBuilder.Entity<Operation>(operation =>
        {
            operation.Property(o => o.Kind).HasConversion<string>().HasMaxLength(16);
            operation.Property(o => o.Status).HasConversion<string>().HasMaxLength(16);
            operation.Property(o => o.Phase).HasMaxLength(40);
            operation.Property(o => o.Actor).HasMaxLength(100);
            operation.Property(o => o.Parameters).HasColumnType("jsonb");
            operation.Property(o => o.State).HasColumnType("jsonb");
            operation.Property(o => o.LeaseOwner).HasMaxLength(100);
            operation.Property(o => o.FaultPlan).HasMaxLength(200);
            operation.Ignore(o => o.IsActive);
            // One operation per tenant at a time, enforced by the catalog itself: a second request or a
            // second Provisioner instance racing to start one gets a unique violation, not a duplicate.
            operation.HasIndex(o => o.TenantId).IsUnique().HasFilter(OperationStatuses.ActiveSqlFilter).HasDatabaseName("ix_operations_one_active_per_tenant");
            operation.HasIndex(o => o.Kind).IsUnique().HasFilter(OperationStatuses.ActiveMigrationSqlFilter).HasDatabaseName(OperationStatuses.OneActiveMigrationIndex);
            operation.HasIndex(o => new { o.TenantId, o.StartedAt });
            operation.HasIndex(o => new { o.Status, o.LeaseExpiresAt });
        });

        modelBuilder.Entity<OperationClaim>(claim =>
        {
            claim.HasKey(c => new { c.OperationId, c.Attempt });
            claim.HasOne<Operation>().WithMany().HasForeignKey(c => c.OperationId).OnDelete(DeleteBehavior.Cascade);
            claim.Property(c => c.Instance).HasMaxLength(100);
            claim.Property(c => c.Outcome).HasMaxLength(16);
        });

        modelBuilder.Entity<TargetMigration>(migration =>
        {
            migration.HasKey(m => new { m.OperationId, m.TargetId });
            migration.HasOne<Operation>().WithMany().HasForeignKey(m => m.OperationId).OnDelete(DeleteBehavior.Cascade);
            migration.Property(m => m.Kind).HasConversion<string>().HasMaxLength(16);
            migration.Property(m => m.State).HasConversion<string>().HasMaxLength(16);
            migration.Property(m => m.Server).HasMaxLength(63);
            migration.Property(m => m.Database).HasMaxLength(63);
            migration.Property(m => m.Schema).HasMaxLength(63);
            migration.Property(m => m.FromVersion).HasMaxLength(150);
            migration.Property(m => m.ToVersion).HasMaxLength(150);
            // The latest run of each target, for listing the fleet's state.
            migration.HasIndex(m => new { m.TargetId, m.OperationId });
            migration.HasIndex(m => new { m.OperationId, m.State, m.Stage });
        });

        modelBuilder.Entity<ControlPlaneAuditEvent>(audit =>
        {
            // The table keeps its name from before the entity said which plane it belongs to.
            audit.ToTable("audit_events");
            audit.HasIndex(a => new { a.TenantId, a.At });
            audit.Property(a => a.Actor).HasMaxLength(100);
            audit.Property(a => a.Action).HasMaxLength(60);
        });

        modelBuilder.Entity<ApiClient>(client =>
        {
            client.HasKey(c => c.ClientId);
            client.Property(c => c.ClientId).HasMaxLength(100);
            client.Property(c => c.Name).HasMaxLength(100);
            client.Property(c => c.Role).HasMaxLength(20);
            client.Ignore(c => c.IsRevoked);
            client.HasIndex(c => c.TenantId);
            client.HasOne<Tenant>().WithMany().HasForeignKey(c => c.TenantId).OnDelete(DeleteBehavior.Cascade);
        });
    }
}
