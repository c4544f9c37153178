using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Npgsql;

namespace PgHa.Workflows.Store;

/// <summary>
/// The PostgreSQL flavour of the context: same model as SQLite, in schema <see cref="PostgresStore.Schema"/>, with its
/// own migrations (Migrations/Postgres). DateTime columns are timestamptz (Npgsql's default for UTC DateTime).
/// </summary>
public sealed class PostgresPgHaDbContext : PgHaDbContext
{
    public PostgresPgHaDbContext(DbContextOptions<PostgresPgHaDbContext> options) : base(options) { }

    protected override void OnModelCreating(ModelBuilder b)
    {
        // A schema of our own keeps the engine's tables apart when the database is shared with other applications.
        b.HasDefaultSchema(PostgresStore.Schema);
        base.OnModelCreating(b);
    }
}

/// <summary>Tuning of the PostgreSQL store and its lock provider.</summary>
public sealed class PgHaPostgresStoreOptions
{
    /// <summary>Connection string for the advisory-lock sessions; null means the store's. See <see cref="PostgresAdvisoryLockProvider"/>.</summary>
    public string? LockConnectionString { get; set; }

    /// <summary>
    /// How often a connection holding locks runs a no-op query, so servers or proxies that reap idle sessions
    /// (idle_session_timeout, firewalls, cloud governors) do not silently drop held locks.
    /// </summary>
    public TimeSpan LockKeepaliveCadence { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long start-up waits for another node that is migrating the same database.</summary>
    public TimeSpan MigrationLockTimeout { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>Builds the PostgreSQL context options and serialises migrations between nodes.</summary>
public static class PostgresStore
{
    public const string Schema = "pgha";

    /// <summary>
    /// The session advisory lock taken around Migrate, in the two-int32 key space (disjoint from the 64-bit space that
    /// <see cref="PostgresAdvisoryLockProvider"/> hashes WorkflowCore's lock ids into). 0x50674861 = "PgHa".
    /// </summary>
    public const int MigrationLockClass = 0x50674861;
    public const int MigrationLockObject = 1;

    public static DbContextOptions<PostgresPgHaDbContext> BuildOptions(string connectionString) =>
        new DbContextOptionsBuilder<PostgresPgHaDbContext>()
            .UseNpgsql(connectionString, o => o.MigrationsHistoryTable("__EFMigrationsHistory", Schema))
            .Options;

    /// <summary>
    /// Runs <paramref name="migrate"/> while holding a session advisory lock on a dedicated connection, so nodes that
    /// start together migrate one after another (the later ones find nothing to do). The lock dies with the
    /// connection if this process does.
    /// </summary>
    public static void WithMigrationLock(string connectionString, TimeSpan timeout, Action migrate)
    {
        // Pooling off: the session must really end when we are done, not linger in a pool still holding the lock.
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Enlist = false };
        using var connection = new NpgsqlConnection(builder.ConnectionString);
        connection.Open();
        using (var take = connection.CreateCommand())
        {
            take.CommandText = "SELECT pg_advisory_lock(@c, @o)";
            take.Parameters.AddWithValue("c", MigrationLockClass);
            take.Parameters.AddWithValue("o", MigrationLockObject);
            take.CommandTimeout = Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds));
            try
            {
                take.ExecuteNonQuery();
            }
            catch (NpgsqlException ex) when (ex.InnerException is TimeoutException || ex is { SqlState: PostgresErrorCodes.QueryCanceled })
            {
                throw new TimeoutException($"Another node held the PgHa migration lock for more than {timeout}; is a migration stuck?", ex);
            }
        }
        try
        {
            migrate();
        }
        finally
        {
            using var release = connection.CreateCommand();
            release.CommandText = "SELECT pg_advisory_unlock(@c, @o)";
            release.Parameters.AddWithValue("c", MigrationLockClass);
            release.Parameters.AddWithValue("o", MigrationLockObject);
            try { release.ExecuteNonQuery(); }
            catch (NpgsqlException) { /* closing the connection below releases it anyway */ }
        }
    }
}

/// <summary>
/// A fresh PostgreSQL context per call from an EF context pool (same reasons as the SQLite factory); the physical
/// connections are pooled by Npgsql.
/// </summary>
public sealed class PostgresPgHaDbContextFactory : IDbContextFactory<PgHaDbContext>
{
    private readonly PooledDbContextFactory<PostgresPgHaDbContext> _pool;

    public PostgresPgHaDbContextFactory(string connectionString, PgHaPostgresStoreOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ConnectionString = connectionString;
        Options = options ?? new PgHaPostgresStoreOptions();
        _pool = new PooledDbContextFactory<PostgresPgHaDbContext>(PostgresStore.BuildOptions(connectionString));
    }

    internal string ConnectionString { get; }
    internal PgHaPostgresStoreOptions Options { get; }

    public PgHaDbContext CreateDbContext() => _pool.CreateDbContext();
}

/// <summary>
/// Used only by `dotnet ef migrations add --context PostgresPgHaDbContext`: builds the model with Npgsql but never
/// connects (the connection string points nowhere on purpose).
/// </summary>
public sealed class PostgresDesignTimeDbContextFactory : IDesignTimeDbContextFactory<PostgresPgHaDbContext>
{
    public PostgresPgHaDbContext CreateDbContext(string[] args) =>
        new(PostgresStore.BuildOptions("Host=design-time.invalid;Database=pgha"));
}
