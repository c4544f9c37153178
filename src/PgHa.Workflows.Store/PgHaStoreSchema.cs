using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace PgHa.Workflows.Store;

/// <summary>Brings a store to the current schema; idempotent, run at start-up.</summary>
public static class PgHaStoreSchema
{
    public static void Migrate(PgHaDbContext db, TimeSpan? migrationLockTimeout = null)
    {
        if (db.Database.IsNpgsql())
        {
            // Several nodes may start at once against one database: migrate one at a time.
            var connectionString = db.Database.GetConnectionString()
                ?? throw new InvalidOperationException("The PostgreSQL store context has no connection string.");
            PostgresStore.WithMigrationLock(connectionString, migrationLockTimeout ?? new PgHaPostgresStoreOptions().MigrationLockTimeout,
                () => db.Database.Migrate());
            return;
        }

        if (db.Database.IsSqlite()) OwnerOnly(new SqliteConnectionStringBuilder(db.Database.GetConnectionString()).DataSource);
        db.Database.Migrate();
        if (db.Database.IsSqlite())
        {
            // WAL lets readers run while a checkpoint commits and makes each commit one sequential append;
            // the mode is stored in the file, so once is enough.
            db.Database.OpenConnection();
            try
            {
                using var cmd = db.Database.GetDbConnection().CreateCommand();
                cmd.CommandText = "PRAGMA journal_mode=WAL;";
                var mode = cmd.ExecuteScalar() as string;
                if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                    throw new InvalidOperationException($"SQLite refused WAL journal mode (got '{mode}'); is the store on a network file system?");
            }
            finally
            {
                db.Database.CloseConnection();
            }
        }
    }

    /// <summary>
    /// The SQLite file holds runs, journals and approvals: mode 600 from its first byte (SQLite gives its -wal and -shm
    /// files the database's mode), and an existing file created more open is tightened.
    /// </summary>
    private static void OwnerOnly(string file)
    {
        if (OperatingSystem.IsWindows() || file is "" or ":memory:") return;
        const UnixFileMode ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        if (!File.Exists(file))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
            using var created = new FileStream(file, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = ownerOnly });
        }
        foreach (var path in new[] { file, file + "-wal", file + "-shm" })
            if (File.Exists(path)) File.SetUnixFileMode(path, ownerOnly);
    }
}
