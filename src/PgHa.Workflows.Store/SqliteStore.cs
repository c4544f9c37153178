using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace PgHa.Workflows.Store;

/// <summary>Builds the SQLite context options shared by the runtime, the tests and the design-time factory.</summary>
public static class SqliteStore
{
    public static string ConnectionString(string sqliteFilePath, PgHaStoreOptions options) => new SqliteConnectionStringBuilder
    {
        DataSource = sqliteFilePath,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Cache = SqliteCacheMode.Private,
        // Pooled connections keep their prepared statements and page cache between calls (a context per call).
        Pooling = true,
        DefaultTimeout = Math.Max(1, (int)Math.Ceiling(options.BusyTimeout.TotalSeconds)),
    }.ToString();

    public static DbContextOptions<SqlitePgHaDbContext> BuildOptions(string sqliteFilePath, PgHaStoreOptions? options = null)
    {
        options ??= new PgHaStoreOptions();
        return new DbContextOptionsBuilder<SqlitePgHaDbContext>()
            .UseSqlite(ConnectionString(sqliteFilePath, options))
            .AddInterceptors(new SqlitePragmaInterceptor(options))
            .Options;
    }
}

/// <summary>
/// Per-connection SQLite settings (journal_mode=WAL is persistent in the file and set once at migration; these are not):
/// synchronous level (see <see cref="PgHaStoreOptions.SyncEveryCommit"/>) and busy_timeout so concurrent writers
/// wait inside SQLite instead of failing with SQLITE_BUSY.
/// </summary>
internal sealed class SqlitePragmaInterceptor : DbConnectionInterceptor
{
    private readonly string _pragmas;

    public SqlitePragmaInterceptor(PgHaStoreOptions options)
    {
        _pragmas = $"PRAGMA synchronous={(options.SyncEveryCommit ? "FULL" : "NORMAL")}; " +
                   $"PRAGMA busy_timeout={(long)options.BusyTimeout.TotalMilliseconds}; PRAGMA foreign_keys=ON;";
    }

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Apply(connection);

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Apply(connection);
        return Task.CompletedTask;
    }

    // Pragmas stick to the physical connection, which the pool reuses: apply them once per native handle
    // instead of once per open (every provider call opens one).
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<object, object> _configured = new();

    private void Apply(DbConnection connection)
    {
        var handle = (connection as SqliteConnection)?.Handle;
        if (handle is not null && _configured.TryGetValue(handle, out _)) return;
        using var cmd = connection.CreateCommand();
        cmd.CommandText = _pragmas;
        cmd.ExecuteNonQuery();
        if (handle is not null) _configured.AddOrUpdate(handle, handle);
    }
}
