using Microsoft.Extensions.Configuration;

namespace PgHa.Server.Hosting;

/// <summary>
/// Where the server keeps its state, resolved once from configuration (section <c>PgHa</c>). Relative paths are
/// relative to the content root, so a server started from the repository finds <c>workflows/</c> by itself.
/// </summary>
public sealed record ServerSettings
{
    public const string DefaultUrl = "http://127.0.0.1:5080";
    public const string KeysFileName = "api-keys.json";

    /// <summary>Where runs are stored: the SQLite file (default) or a PostgreSQL database shared by several servers.</summary>
    public required PgHa.Workflows.Store.StoreLocation Store { get; init; }

    /// <summary>The SQLite file, or for PostgreSQL the place of the data directory's default (keys, logs).</summary>
    public required string DatabaseFile { get; init; }
    public required string DataDirectory { get; init; }
    public required string KeysFile { get; init; }
    public required string LogDirectory { get; init; }
    public string? RunbookFolder { get; init; }
    public string? DesignerFolder { get; init; }
    public string? SecretsFile { get; init; }
    public bool ApproverMustDifferFromStarter { get; init; } = true;
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Kestrel's limit for every request body, whatever its framing (Content-Length or chunked).</summary>
    public long MaxRequestBodyBytes { get; init; } = 4 * 1024 * 1024;
    public PgHa.Workflows.Runtime.RunbookLimits RunbookLimits { get; init; } = new();

    /// <summary>Where imported clusters' SSH keys and known_hosts files may live.</summary>
    public IReadOnlyList<string> KeyDirectories { get; init; } = [];

    public static ServerSettings From(IConfiguration configuration, string contentRoot)
    {
        var section = configuration.GetSection("PgHa");
        var kind = section["Store"] ?? "sqlite";
        var database = Path.GetFullPath(section["Database"] is { Length: > 0 } db ? db : Path.Combine(".pgha", "pgha.db"), contentRoot);
        PgHa.Workflows.Store.StoreLocation store;
        if (kind.Equals("postgres", StringComparison.OrdinalIgnoreCase) || kind.Equals("postgresql", StringComparison.OrdinalIgnoreCase))
            store = new PgHa.Workflows.Store.StoreLocation.Postgres(section["ConnectionString"] is { Length: > 0 } cs
                ? cs
                : throw new ServerConfigurationException(
                    "PgHa:Store=postgres needs PgHa:ConnectionString (e.g. \"Host=db1;Port=5432;Database=pgha;Username=pgha\", " +
                    "password via PgHa__ConnectionString in the environment or a .pgpass file). Use a database that is not one of the clusters this server fails over, reached directly, not through pgbouncer."));
        else if (kind.Equals("sqlite", StringComparison.OrdinalIgnoreCase))
            store = new PgHa.Workflows.Store.StoreLocation.Sqlite(database);
        else
            throw new ServerConfigurationException($"PgHa:Store='{kind}' is unknown; use sqlite (default) or postgres.");

        var dataDirectory = Path.GetDirectoryName(database)!;
        return new ServerSettings
        {
            Store = store,
            DatabaseFile = database,
            DataDirectory = dataDirectory,
            KeysFile = Path.GetFullPath(section["Auth:KeysFile"] is { Length: > 0 } k ? k : Path.Combine(dataDirectory, KeysFileName), contentRoot),
            LogDirectory = Path.GetFullPath(section["LogDirectory"] is { Length: > 0 } l ? l : Path.Combine(dataDirectory, "logs"), contentRoot),
            RunbookFolder = Folder(section["RunbookFolder"], "workflows", contentRoot),
            DesignerFolder = Folder(section["DesignerFolder"], Path.Combine("designer", "dist"), contentRoot),
            SecretsFile = section["SecretsFile"] is { Length: > 0 } s ? Path.GetFullPath(s, contentRoot) : null,
            ApproverMustDifferFromStarter = section.GetValue("Auth:ApproverMustDifferFromStarter", true),
            PollInterval = TimeSpan.FromMilliseconds(section.GetValue("Engine:PollIntervalMilliseconds", 1000)),
            HeartbeatInterval = TimeSpan.FromSeconds(section.GetValue("Sse:HeartbeatSeconds", 15.0)),
            MaxRequestBodyBytes = section.GetValue("Limits:MaxRequestBodyBytes", 4L * 1024 * 1024),
            KeyDirectories = section.GetSection("Clusters:KeyDirectories").Get<string[]>() is { Length: > 0 } dirs
                ? dirs.Select(d => Path.GetFullPath(d, contentRoot)).ToList()
                : [dataDirectory, "/var/lib/pgha", "/etc/pgha"],
            RunbookLimits = new PgHa.Workflows.Runtime.RunbookLimits
            {
                MaxNodes = section.GetValue("Limits:MaxNodes", 500),
                MaxConnections = section.GetValue("Limits:MaxConnections", 2000),
                MaxRunbookBytes = section.GetValue("Limits:MaxRunbookBytes", 1024 * 1024),
            },
        };
    }

    /// <summary>
    /// A configured folder (relative to the content root), or else the first <paramref name="conventional"/> folder
    /// found in the content root or one of its parents, then in the program's folder or one of its parents: the
    /// repository layout when started with dotnet run, from bin/, or from any directory. "none" switches the folder off.
    /// </summary>
    private static string? Folder(string? configured, string conventional, string contentRoot)
    {
        if (configured is { Length: > 0 })
            return configured.Equals("none", StringComparison.OrdinalIgnoreCase) ? null : Path.GetFullPath(configured, contentRoot);
        foreach (var start in new[] { contentRoot, AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, conventional);
                if (Directory.Exists(candidate)) return candidate;
            }
        return null;
    }
}

/// <summary>A configuration the server cannot start with; the message says what to change.</summary>
public sealed class ServerConfigurationException(string message) : Exception(message);
