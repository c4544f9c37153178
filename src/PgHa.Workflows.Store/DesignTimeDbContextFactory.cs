using Microsoft.EntityFrameworkCore.Design;

namespace PgHa.Workflows.Store;

/// <summary>Used only by `dotnet ef migrations add` to build the SQLite model; never opens a real store.</summary>
public sealed class SqliteDesignTimeDbContextFactory : IDesignTimeDbContextFactory<SqlitePgHaDbContext>
{
    public SqlitePgHaDbContext CreateDbContext(string[] args) => new(SqliteStore.BuildOptions("design-time.db"));
}
