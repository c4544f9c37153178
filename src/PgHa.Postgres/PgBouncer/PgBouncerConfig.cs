using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace PgHa.Postgres.PgBouncer;

/// <summary>One [databases] entry: the name clients connect to, and where pgbouncer forwards it.</summary>
public sealed record PgBouncerDatabaseEntry(string Name, string Host, int Port, string DbName);

/// <summary>
/// A complete pgbouncer.ini as the runbooks deploy it: named databases (no "*" wildcard), SCRAM auth from an
/// auth_file, transaction pooling unless told otherwise. Renders deterministic text; refuses values that could break out of their line.
/// </summary>
public sealed partial record PgBouncerConfig
{
    public required IReadOnlyList<PgBouncerDatabaseEntry> Databases { get; init; }
    public string ListenAddr { get; init; } = "*";
    public int ListenPort { get; init; } = 6543;
    /// <summary>Empty disables the Unix socket.</summary>
    public string UnixSocketDir { get; init; } = "/var/run/postgresql";
    public string AuthType { get; init; } = "scram-sha-256";
    public required string AuthFile { get; init; }
    public required IReadOnlyList<string> AdminUsers { get; init; }
    public IReadOnlyList<string> StatsUsers { get; init; } = [];
    public required string PidFile { get; init; }
    public required string LogFile { get; init; }
    public string PoolMode { get; init; } = "transaction";
    public int MaxClientConn { get; init; } = 500;
    /// <summary>Kept well below max_connections / number of poolers (the old scripts used max_connections for both).</summary>
    public int DefaultPoolSize { get; init; } = 20;
    public string ServerResetQuery { get; init; } = "DISCARD ALL";
    public string IgnoreStartupParameters { get; init; } = "extra_float_digits";
    /// <summary>
    /// Seconds pgbouncer waits before connecting to a server again after a failed server login (its default is 15).
    /// PAUSE closes server connections that are still logging in, and pgbouncer counts that as a failed login: with
    /// the default, clients that arrived during a switch then stalled for 15 s after RESUME (seen on the lab).
    /// </summary>
    public int ServerLoginRetrySeconds { get; init; } = 1;

    public string RenderDatabasesSection()
    {
        var text = new StringBuilder("[databases]\n");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var db in Databases)
        {
            RequirePlainName(db.Name, "database name");
            if (!seen.Add(db.Name)) throw new ArgumentException($"Database '{db.Name}' is listed twice.");
            RequireHost(db.Host);
            RequirePort(db.Port, $"port of database '{db.Name}'");
            RequirePlainName(db.DbName, "dbname");
            text.Append(CultureInfo.InvariantCulture, $"{db.Name} = host={db.Host} port={db.Port} dbname={db.DbName}\n");
        }
        return text.ToString();
    }

    public string RenderIni()
    {
        if (Databases.Count == 0) throw new ArgumentException("At least one database is needed.");
        if (AdminUsers.Count == 0) throw new ArgumentException("At least one admin user is needed to PAUSE/RESUME/RELOAD.");
        RequirePort(ListenPort, "listen_port");
        var text = new StringBuilder(RenderDatabasesSection());
        text.Append("\n[pgbouncer]\n");
        Setting(text, "listen_addr", ListenAddr);
        Setting(text, "listen_port", ListenPort.ToString(CultureInfo.InvariantCulture));
        Setting(text, "unix_socket_dir", UnixSocketDir, allowEmpty: true);
        Setting(text, "auth_type", AuthType);
        Setting(text, "auth_file", AuthFile);
        Setting(text, "admin_users", UserList(AdminUsers));
        if (StatsUsers.Count > 0) Setting(text, "stats_users", UserList(StatsUsers));
        Setting(text, "pidfile", PidFile);
        Setting(text, "logfile", LogFile);
        Setting(text, "pool_mode", PoolMode);
        Setting(text, "max_client_conn", MaxClientConn.ToString(CultureInfo.InvariantCulture));
        Setting(text, "default_pool_size", DefaultPoolSize.ToString(CultureInfo.InvariantCulture));
        Setting(text, "server_reset_query", ServerResetQuery);
        Setting(text, "ignore_startup_parameters", IgnoreStartupParameters);
        Setting(text, "server_login_retry", ServerLoginRetrySeconds.ToString(CultureInfo.InvariantCulture));
        return text.ToString();
    }

    /// <summary>Names usable unquoted in the ini file and in admin console commands.</summary>
    public static bool IsPlainName(string? name) => name is not null && PlainName().IsMatch(name);

    private static string UserList(IReadOnlyList<string> users)
    {
        foreach (var user in users) RequirePlainName(user, "user name");
        return string.Join(", ", users);
    }

    private static void Setting(StringBuilder text, string key, string value, bool allowEmpty = false)
    {
        RequireSingleLine(value, key);
        if (!allowEmpty && value.Length == 0) throw new ArgumentException($"{key} must not be empty.");
        if (value != value.Trim()) throw new ArgumentException($"{key} must not start or end with white space.");
        text.Append(key).Append(" = ").Append(value).Append('\n');
    }

    internal static void RequireSingleLine(string value, string what)
    {
        if (value.AsSpan().IndexOfAny('\n', '\r', '\0') >= 0)
            throw new ArgumentException($"{what} must not contain a line break or NUL.");
    }

    private static void RequirePlainName(string value, string what)
    {
        RequireSingleLine(value, what);
        if (!IsPlainName(value)) throw new ArgumentException($"{what} '{value}' must match [A-Za-z0-9_.-]+.");
    }

    private static void RequireHost(string host)
    {
        RequireSingleLine(host, "host");
        if (!HostPattern().IsMatch(host)) throw new ArgumentException($"host '{host}' must be a host name, an IP address or a socket directory.");
    }

    private static void RequirePort(int port, string what)
    {
        if (port is < 1 or > 65535) throw new ArgumentException($"{what} {port} is not a TCP port.");
    }

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,62}$")]
    private static partial Regex PlainName();

    [GeneratedRegex(@"^[A-Za-z0-9_.:\-/]{1,255}$")]
    private static partial Regex HostPattern();
}

/// <summary>pgbouncer's auth_file (userlist.txt): one <c>"user" "password"</c> line per account.</summary>
public static class PgBouncerUserList
{
    /// <summary>
    /// Renders the file. pgbouncer reads each field between double quotes and un-doubles "" inside it, so any
    /// character but a line break or NUL is safe. The result holds secrets: write it with mode 600, never log it.
    /// </summary>
    public static string Render(IEnumerable<KeyValuePair<string, string>> users)
    {
        var text = new StringBuilder();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (user, password) in users)
        {
            if (string.IsNullOrEmpty(user)) throw new ArgumentException("A user name must not be empty.");
            // The message names the user but never echoes the password.
            PgBouncerConfig.RequireSingleLine(user, $"user name '{user.ReplaceLineEndings(" ")}'");
            PgBouncerConfig.RequireSingleLine(password, $"password of user '{user}'");
            if (!seen.Add(user)) throw new ArgumentException($"User '{user}' is listed twice.");
            text.Append(Quote(user)).Append(' ').Append(Quote(password)).Append('\n');
        }
        return text.ToString();
    }

    public static string Quote(string value) => "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
