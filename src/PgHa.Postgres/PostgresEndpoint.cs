using Npgsql;

namespace PgHa.Postgres;

/// <summary>
/// Where and as whom to connect to one PostgreSQL server (or to pgbouncer in front of it).
/// <see cref="ToString"/> never shows the password, so an endpoint can be logged and put into messages.
/// </summary>
public sealed record PostgresEndpoint(string Host, int Port, string Database, string User)
{
    /// <summary>The secret; only ever goes into the connection string handed to Npgsql.</summary>
    public string? Password { get; init; }

    /// <summary>Bounds connecting and each command; a probe must never hang a runbook.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Shows up in pg_stat_activity so a DBA can tell the tool's sessions apart.</summary>
    public string ApplicationName { get; init; } = "pgha";

    public PostgresEndpoint WithDatabase(string database) => this with { Database = database };

    public PostgresEndpoint WithUser(string user, string? password) => this with { User = user, Password = password };

    /// <summary>"host:port", the way operators write an address.</summary>
    public string Address => Host.Contains(':') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    public string BuildConnectionString()
    {
        var seconds = TimeoutSeconds(Timeout);
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = Host,
            Port = Port,
            Database = Database,
            Username = User,
            Password = Password,
            ApplicationName = ApplicationName,
            Timeout = seconds,
            CommandTimeout = seconds,
            // Probes must observe the server as it is now; a pooled connection may predate a failover.
            Pooling = false,
        };
        return builder.ConnectionString;
    }

    internal static int TimeoutSeconds(TimeSpan timeout)
    {
        // Npgsql takes whole seconds and treats 0 as "wait forever", which a probe must never do.
        var seconds = (int)Math.Ceiling(timeout.TotalSeconds);
        return Math.Clamp(seconds, 1, 3600);
    }

    public override string ToString() => $"{User}@{Address}/{Database}";
}
