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
}
