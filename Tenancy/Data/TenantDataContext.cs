using Microsoft.EntityFrameworkCore;

namespace TieredTenancy.Tenancy.Data;

/// <summary>
/// The EF Core context of tenant data, for the Api and the Provisioner alike. One model serves every
/// tier: the tables are the same in the shared database, a tenant schema or a tenant database; only
/// the connection differs.
/// </summary>
/// <param name="shape">The storage's columns: storage a fleet migration has not reached yet is served with its version's <see cref="TenantDataShape"/>.</param>
public sealed class TenantDataContext(DbContextOptions<TenantDataContext> options, TenantDataShape? shape = null) : DbContext(options)
{
    public TenantDataShape Shape { get; } = shape ?? TenantDataShape.Latest;

    /// <summary>
    /// The tenant this context serves. Every query is filtered on it; with none set, every query
    /// reads nothing (the filter compares with NULL), never everything.
    /// </summary>
    public Guid? CurrentTenantId { get; private set; }

    /// <summary>What every command's connection is bound to (see TenantBindingInterceptor); none means nothing runs.</summary>
    public Isolation.TenantBinding? Binding { get; private set; }

    /// <summary>Whether a change of this context may have committed (<see cref="Isolation.CommitTracking"/>): until then, a cut connection changed nothing.</summary>
    public bool MayHaveCommitted { get; internal set; }

    /// <summary>Whether a change of this context did commit (a COMMIT or an autocommit write was answered).</summary>
    public bool HasCommitted { get; internal set; }

    /// <summary>Binds this context to one tenant: the query filters and the connection binding both follow.</summary>
    public void BindTo(Isolation.TenantBinding binding)
    {
        Binding = binding;
        CurrentTenantId = binding.TenantId;
    }

    public DbSet<Project> Projects => Set<Project>();
    public DbSet<TaskItem> Tasks => Set<TaskItem>();
    public DbSet<Comment> Comments => Set<Comment>();
    public DbSet<TenantAuditEntry> AuditEntries => Set<TenantAuditEntry>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Project>(project =>
        {
            project.ToTable("projects");
            // Keys lead with tenant_id: every index serves the tenant's own queries and the RLS policy.
            project.HasKey(p => new { p.TenantId, p.Id });
            project.Property(p => p.Name).HasMaxLength(200);
            project.Property(p => p.Description).HasMaxLength(4000);
            project.HasIndex(p => new { p.TenantId, p.CreatedAt });
        });

        modelBuilder.Entity<TaskItem>(task =>
        {
            task.ToTable("tasks");
            task.HasKey(t => new { t.TenantId, t.Id });
            task.Property(t => t.Title).HasMaxLength(500);
            task.Property(t => t.Assignee).HasMaxLength(200);
            task.Property(t => t.Status).HasConversion<string>().HasMaxLength(16);
            // The foreign key includes tenant_id, so a task can never point at another tenant's project.
            task.HasOne<Project>().WithMany()
                .HasForeignKey(t => new { t.TenantId, t.ProjectId })
                .OnDelete(DeleteBehavior.Cascade);
            task.HasIndex(t => new { t.TenantId, t.ProjectId, t.CreatedAt });
            task.HasGeneratedTsVectorColumn(t => t.SearchVector, "simple", t => new { t.Title })
                .HasIndex(t => t.SearchVector)
                .HasMethod("GIN");
            if (Shape.TaskPriorities)
            {
                // Expand-then-contract: the columns have database defaults, so code that does not know them
                // still inserts; this model always sends its own value (never the default for Low).
                task.Property(t => t.Priority).HasConversion<string>().HasMaxLength(16).HasDefaultValueSql("'Normal'").ValueGeneratedNever();
                task.Property(t => t.Labels).HasDefaultValueSql("'{}'::text[]").ValueGeneratedNever();
                task.HasIndex(t => t.Labels).HasMethod("GIN");
            }
            else
            {
                task.Ignore(t => t.Priority);
                task.Ignore(t => t.Labels);
            }
        });

        modelBuilder.Entity<Comment>(comment =>
        {
            comment.ToTable("comments");
            comment.HasKey(c => new { c.TenantId, c.Id });
            comment.Property(c => c.Author).HasMaxLength(200);
            comment.Property(c => c.Body).HasMaxLength(10_000);
            comment.HasOne<TaskItem>().WithMany()
                .HasForeignKey(c => new { c.TenantId, c.TaskId })
                .OnDelete(DeleteBehavior.Cascade);
            comment.HasIndex(c => new { c.TenantId, c.TaskId, c.CreatedAt });
        });

        modelBuilder.Entity<TenantAuditEntry>(entry =>
        {
            entry.ToTable("audit_entries");
            entry.HasKey(e => new { e.TenantId, e.Id });
            entry.Property(e => e.Actor).HasMaxLength(100);
            entry.Property(e => e.Action).HasMaxLength(60);
            entry.Property(e => e.Target).HasMaxLength(200);
            entry.HasIndex(e => new { e.TenantId, e.At });
        });

        // Last, so that no tenant-owned entity added above can miss it.
        modelBuilder.FilterTenantOwnedEntities(this);
    }
}
