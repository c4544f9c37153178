using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using PgHa.Workflows.Store.Entities;

namespace PgHa.Workflows.Store;

/// <summary>
/// The one EF Core model of the durable store: WorkflowCore's tables (B.1 names, columns and indexes) plus ours.
/// Provider-neutral on purpose (no column types, only lengths) so the PostgreSQL store reuses it.
/// </summary>
public class PgHaDbContext : DbContext
{
    public PgHaDbContext(DbContextOptions options) : base(options) { }

    public DbSet<PersistedWorkflow> Workflows => Set<PersistedWorkflow>();
    public DbSet<PersistedExecutionPointer> ExecutionPointers => Set<PersistedExecutionPointer>();
    public DbSet<PersistedExtensionAttribute> ExtensionAttributes => Set<PersistedExtensionAttribute>();
    public DbSet<PersistedSubscription> Subscriptions => Set<PersistedSubscription>();
    public DbSet<PersistedEvent> Events => Set<PersistedEvent>();
    public DbSet<PersistedExecutionError> ExecutionErrors => Set<PersistedExecutionError>();
    public DbSet<PersistedScheduledCommand> ScheduledCommands => Set<PersistedScheduledCommand>();

    public DbSet<RunbookVersionRecord> RunbookVersions => Set<RunbookVersionRecord>();
    public DbSet<RunRecord> Runs => Set<RunRecord>();
    public DbSet<JournalEntryRecord> Journal => Set<JournalEntryRecord>();
    public DbSet<ApprovalRecord> Approvals => Set<ApprovalRecord>();
    public DbSet<ClusterRecord> Clusters => Set<ClusterRecord>();
    public DbSet<HostFenceRecord> HostFences => Set<HostFenceRecord>();

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // Every DateTime is UTC: local/unspecified values are normalised on write and the kind is restored on read
        // (SQLite stores text without a kind; Npgsql's timestamptz refuses non-UTC kinds).
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
        configurationBuilder.Properties<DateTime?>().HaveConversion<UtcNullableDateTimeConverter>();
    }

    /// <summary>The unique index that lets only one non-dry run per cluster be Running.</summary>
    public const string OneRunningRunPerCluster = "IX_Runs_ClusterId_Running";

    protected override void OnModelCreating(ModelBuilder b)
    {
        b.Entity<PersistedWorkflow>(e =>
        {
            e.ToTable("Workflow");
            e.HasKey(x => x.PersistenceId);
            e.HasIndex(x => x.InstanceId).IsUnique();
            e.HasIndex(x => x.NextExecution);
            // What the runnable poller asks for every poll interval.
            e.HasIndex(x => new { x.Status, x.NextExecution });
            e.Property(x => x.WorkflowDefinitionId).HasMaxLength(200);
            e.Property(x => x.Description).HasMaxLength(500);
            e.Property(x => x.Reference).HasMaxLength(200);
            e.Property(x => x.RowVersion).IsConcurrencyToken();
            e.HasMany(x => x.ExecutionPointers).WithOne(x => x.Workflow!)
                .HasForeignKey(x => x.WorkflowId).OnDelete(DeleteBehavior.Cascade);
        });

        b.Entity<PersistedExecutionPointer>(e =>
        {
            e.ToTable("ExecutionPointer");
            e.HasKey(x => x.PersistenceId);
            e.HasIndex(x => x.WorkflowId);
            e.Property(x => x.Id).HasMaxLength(50);
            e.Property(x => x.EventName).HasMaxLength(100);
            e.Property(x => x.EventKey).HasMaxLength(100);
            e.Property(x => x.StepName).HasMaxLength(100);
            e.Property(x => x.PredecessorId).HasMaxLength(100);
            e.HasMany(x => x.ExtensionAttributes).WithOne(x => x.ExecutionPointer!)
                .HasForeignKey(x => x.ExecutionPointerId).OnDelete(DeleteBehavior.Cascade);
        });

        b.Entity<PersistedExtensionAttribute>(e =>
        {
            e.ToTable("ExtensionAttribute");
            e.HasKey(x => x.PersistenceId);
            e.HasIndex(x => x.ExecutionPointerId);
            e.Property(x => x.AttributeKey).HasMaxLength(100);
        });

        b.Entity<PersistedSubscription>(e =>
        {
            e.ToTable("Subscription");
            e.HasKey(x => x.PersistenceId);
            e.HasIndex(x => x.SubscriptionId).IsUnique();
            e.HasIndex(x => x.EventName);
            e.HasIndex(x => x.EventKey);
            e.Property(x => x.WorkflowId).HasMaxLength(200);
            e.Property(x => x.ExecutionPointerId).HasMaxLength(200);
            e.Property(x => x.EventName).HasMaxLength(200);
            e.Property(x => x.EventKey).HasMaxLength(200);
            e.Property(x => x.ExternalToken).HasMaxLength(200);
            e.Property(x => x.ExternalWorkerId).HasMaxLength(200);
        });

        b.Entity<PersistedEvent>(e =>
        {
            e.ToTable("Event");
            e.HasKey(x => x.PersistenceId);
            e.HasIndex(x => x.EventId).IsUnique();
            e.HasIndex(x => new { x.EventName, x.EventKey });
            e.HasIndex(x => x.EventTime);
            e.HasIndex(x => x.IsProcessed);
            e.Property(x => x.EventName).HasMaxLength(200);
            e.Property(x => x.EventKey).HasMaxLength(200);
        });

        b.Entity<PersistedExecutionError>(e =>
        {
            e.ToTable("ExecutionError");
            e.HasKey(x => x.PersistenceId);
            e.Property(x => x.WorkflowId).HasMaxLength(100);
            e.Property(x => x.ExecutionPointerId).HasMaxLength(100);
        });

        b.Entity<PersistedScheduledCommand>(e =>
        {
            e.ToTable("ScheduledCommand");
            e.HasKey(x => x.PersistenceId);
            e.HasIndex(x => x.ExecuteTime);
            // The duplicate guard ScheduleCommand relies on.
            e.HasIndex(x => new { x.CommandName, x.Data }).IsUnique();
            e.Property(x => x.CommandName).HasMaxLength(200);
            e.Property(x => x.Data).HasMaxLength(500);
        });

        b.Entity<RunbookVersionRecord>(e =>
        {
            e.ToTable("RunbookVersions");
            e.HasKey(x => new { x.RunbookId, x.Version });
            e.Property(x => x.RunbookId).HasMaxLength(200);
            e.Property(x => x.Name).HasMaxLength(200);
            e.Property(x => x.CreatedBy).HasMaxLength(200);
            e.Property(x => x.PublishedBy).HasMaxLength(200);
        });

        b.Entity<RunRecord>(e =>
        {
            e.ToTable("Runs");
            e.HasKey(x => x.RunId);
            e.Property(x => x.RunId).HasMaxLength(64);
            e.Property(x => x.WorkflowInstanceId).HasMaxLength(64);
            e.HasIndex(x => x.WorkflowInstanceId).IsUnique();
            e.Property(x => x.RunbookId).HasMaxLength(200);
            e.Property(x => x.ClusterId).HasMaxLength(200);
            e.Property(x => x.StartedBy).HasMaxLength(200);
            e.Property(x => x.Status).HasMaxLength(32);
            e.HasIndex(x => x.Status);
            e.HasIndex(x => x.RunbookId);
            e.HasIndex(x => x.ClusterId);
            // One mutating run per cluster, also between servers sharing the store: the start's busy check alone is a
            // read then an insert, which two servers can both pass.
            e.HasIndex(x => x.ClusterId, OneRunningRunPerCluster).IsUnique()
                .HasFilter("\"ClusterId\" IS NOT NULL AND \"Status\" = 'Running' AND NOT \"DryRun\"");
            e.HasIndex(x => x.StartedAt);
        });

        b.Entity<JournalEntryRecord>(e =>
        {
            e.ToTable("Journal");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedOnAdd();
            e.Property(x => x.RunId).HasMaxLength(64);
            e.Property(x => x.NodeId).HasMaxLength(200);
            e.Property(x => x.PointerId).HasMaxLength(50);
            e.Property(x => x.Status).HasMaxLength(32);
            e.Property(x => x.Outcome).HasMaxLength(200);
            e.HasIndex(x => new { x.RunId, x.Id });
            e.HasIndex(x => new { x.RunId, x.PointerId, x.Attempt });
        });

        b.Entity<ApprovalRecord>(e =>
        {
            e.ToTable("Approvals");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).ValueGeneratedOnAdd();
            e.Property(x => x.RunId).HasMaxLength(64);
            e.Property(x => x.NodeId).HasMaxLength(200);
            e.Property(x => x.PointerId).HasMaxLength(50);
            e.Property(x => x.EventKey).HasMaxLength(200);
            e.HasIndex(x => x.EventKey).IsUnique();
            e.Property(x => x.AllowedRole).HasMaxLength(100);
            e.Property(x => x.Decision).HasMaxLength(32);
            e.Property(x => x.DecidedBy).HasMaxLength(200);
            e.HasIndex(x => x.RunId);
            e.HasIndex(x => x.Decision);
        });

        b.Entity<ClusterRecord>(e =>
        {
            e.ToTable("Clusters");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasMaxLength(100);
            e.Property(x => x.Name).HasMaxLength(200);
            e.Property(x => x.UpdatedBy).HasMaxLength(200);
        });

        b.Entity<HostFenceRecord>(e =>
        {
            e.ToTable("HostFences");
            e.HasKey(x => new { x.ClusterId, x.Host });
            e.Property(x => x.ClusterId).HasMaxLength(100);
            e.Property(x => x.Host).HasMaxLength(200);
            e.Property(x => x.State).HasMaxLength(16);
            e.Property(x => x.RecordedBy).HasMaxLength(200);
            e.Property(x => x.ClaimedBy).HasMaxLength(200);
            e.HasIndex(x => x.State);
        });
    }

    private static DateTime ToUtc(DateTime v) => v.Kind switch
    {
        DateTimeKind.Utc => v,
        DateTimeKind.Local => v.ToUniversalTime(),
        _ => DateTime.SpecifyKind(v, DateTimeKind.Utc),
    };

    private sealed class UtcDateTimeConverter() : ValueConverter<DateTime, DateTime>(
        v => ToUtc(v), v => DateTime.SpecifyKind(v, DateTimeKind.Utc));

    private sealed class UtcNullableDateTimeConverter() : ValueConverter<DateTime?, DateTime?>(
        v => v.HasValue ? ToUtc(v.Value) : v, v => v.HasValue ? DateTime.SpecifyKind(v.Value, DateTimeKind.Utc) : v);
}

/// <summary>
/// The SQLite flavour of the context: it exists so SQLite migrations (Migrations/Sqlite) are bound to their own
/// context type and a PostgreSQL set can live in the same assembly later without clashing.
/// </summary>
public sealed class SqlitePgHaDbContext : PgHaDbContext
{
    public SqlitePgHaDbContext(DbContextOptions<SqlitePgHaDbContext> options) : base(options) { }
}
