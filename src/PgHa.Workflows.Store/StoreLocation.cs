using Npgsql;

namespace PgHa.Workflows.Store;

/// <summary>Where the engine keeps its state: a SQLite file (one node) or a PostgreSQL database (several nodes).</summary>
public abstract record StoreLocation
{
    private StoreLocation() { }

    /// <summary>A SQLite file; created with its directory if missing.</summary>
    public sealed record Sqlite(string File) : StoreLocation;

    /// <summary>
    /// A PostgreSQL database shared by the nodes (tables in schema <c>pgha</c>). Not a cluster the engine manages,
    /// and not through a PgBouncer in transaction pooling (see <see cref="PostgresAdvisoryLockProvider"/>).
    /// </summary>
    public sealed record Postgres(string ConnectionString) : StoreLocation
    {
        /// <summary>Never prints the password: records end up in logs and exception messages.</summary>
        public override string ToString()
        {
            try
            {
                var b = new NpgsqlConnectionStringBuilder(ConnectionString);
                return $"Postgres {{ Host = {b.Host}, Port = {b.Port}, Database = {b.Database}, Username = {b.Username} }}";
            }
            catch (ArgumentException)
            {
                return "Postgres { (unparsable connection string) }";
            }
        }
    }
}
