using Microsoft.EntityFrameworkCore;

namespace PgHa.Workflows.Store;

/// <summary>What a failed write means, the same on either store.</summary>
public static class StoreErrors
{
    /// <summary>A unique-index violation: SQLITE_CONSTRAINT_UNIQUE / PRIMARYKEY, or SQLSTATE 23505.</summary>
    public static bool IsUniqueViolation(DbUpdateException ex) => ex.InnerException switch
    {
        Microsoft.Data.Sqlite.SqliteException s => s.SqliteExtendedErrorCode is 2067 or 1555,
        Npgsql.PostgresException p => p.SqlState == Npgsql.PostgresErrorCodes.UniqueViolation,
        _ => false,
    };
}
