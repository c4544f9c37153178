using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using WorkflowCore.Models;

namespace PgHa.Workflows.Store;

public static class PgHaStoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers the SQLite store: <see cref="IDbContextFactory{PgHaDbContext}"/>, the <see cref="AllowListSerializer"/>
    /// singleton (also as <see cref="IStoredValueSerializer"/>; register your types on it before the host starts) and
    /// <see cref="EfCorePersistenceProvider"/> (singleton). Plug it into WorkflowCore with <see cref="UsePgHaStore"/>.
    /// </summary>
    public static IServiceCollection AddPgHaStore(this IServiceCollection services, string sqliteFilePath, Action<PgHaStoreOptions>? configure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sqliteFilePath);
        var options = new PgHaStoreOptions();
        configure?.Invoke(options);
        var dir = Path.GetDirectoryName(Path.GetFullPath(sqliteFilePath));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);

        services.AddSingleton(options);
        services.TryAddSingleton<IDbContextFactory<PgHaDbContext>>(new SqlitePgHaDbContextFactory(SqliteStore.BuildOptions(sqliteFilePath, options)));
        services.TryAddSingleton<AllowListSerializer>();
        services.TryAddSingleton<IStoredValueSerializer>(sp => sp.GetRequiredService<AllowListSerializer>());
        services.TryAddSingleton<EfCorePersistenceProvider>();
        return services;
    }

    /// <summary>
    /// Registers the PostgreSQL store, the same services as <see cref="AddPgHaStore"/> (context factory, serializer,
    /// provider) over <paramref name="connectionString"/>, plus the <see cref="PostgresAdvisoryLockProvider"/> that
    /// <see cref="WorkflowLocks"/> plugs into WorkflowCore. The schema is migrated by EnsureStoreExists at start-up,
    /// one node at a time.
    /// </summary>
    public static IServiceCollection AddPgHaStorePostgres(this IServiceCollection services, string connectionString, Action<PgHaPostgresStoreOptions>? configure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var options = new PgHaPostgresStoreOptions();
        configure?.Invoke(options);

        services.AddSingleton(options);
        services.TryAddSingleton<IDbContextFactory<PgHaDbContext>>(new PostgresPgHaDbContextFactory(connectionString, options));
        services.TryAddSingleton<AllowListSerializer>();
        services.TryAddSingleton<IStoredValueSerializer>(sp => sp.GetRequiredService<AllowListSerializer>());
        services.TryAddSingleton<EfCorePersistenceProvider>();
        services.TryAddSingleton(sp => new PostgresAdvisoryLockProvider(
            options.LockConnectionString ?? connectionString, options.LockKeepaliveCadence,
            sp.GetService<Microsoft.Extensions.Logging.ILogger<PostgresAdvisoryLockProvider>>()));
        return services;
    }

    /// <summary>Registers the store at <paramref name="location"/> (SQLite file or PostgreSQL).</summary>
    public static IServiceCollection AddPgHaStore(this IServiceCollection services, StoreLocation location) => location switch
    {
        StoreLocation.Sqlite s => services.AddPgHaStore(s.File),
        StoreLocation.Postgres p => services.AddPgHaStorePostgres(p.ConnectionString),
        null => throw new ArgumentNullException(nameof(location)),
        _ => throw new ArgumentException($"Unknown store location {location.GetType().Name}.", nameof(location)),
    };

    /// <summary>
    /// The lock provider WorkflowCore needs on this store: PostgreSQL advisory locks (needs
    /// <see cref="AddPgHaStorePostgres"/>), required as soon as two nodes share one PostgreSQL store; in memory on SQLite.
    /// </summary>
    public static WorkflowCore.Interface.IDistributedLockProvider WorkflowLocks(this IServiceProvider services, StoreLocation location) =>
        location is StoreLocation.Postgres ? services.GetRequiredService<PostgresAdvisoryLockProvider>() : new WorkflowCore.Services.SingleNodeLockProvider();

    /// <summary>Makes WorkflowCore persist through <see cref="EfCorePersistenceProvider"/> (inside <c>AddWorkflow(o => ...)</c>).</summary>
    public static WorkflowOptions UsePgHaStore(this WorkflowOptions options)
    {
        options.UsePersistence(sp => sp.GetRequiredService<EfCorePersistenceProvider>());
        return options;
    }
}

/// <summary>
/// A fresh SQLite context per call, taken from an EF context pool: the provider opens one per engine call, and
/// pooling removes the per-context service setup from every checkpoint. Contexts are reset when returned.
/// </summary>
public sealed class SqlitePgHaDbContextFactory : IDbContextFactory<PgHaDbContext>
{
    private readonly PooledDbContextFactory<SqlitePgHaDbContext> _pool;

    public SqlitePgHaDbContextFactory(DbContextOptions<SqlitePgHaDbContext> options) => _pool = new PooledDbContextFactory<SqlitePgHaDbContext>(options);

    public SqlitePgHaDbContextFactory(string sqliteFilePath, PgHaStoreOptions? options = null)
        : this(SqliteStore.BuildOptions(sqliteFilePath, options)) { }

    public PgHaDbContext CreateDbContext() => _pool.CreateDbContext();
}
