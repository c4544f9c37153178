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

    public static ServerSettings From(IConfiguration configuration, string contentRoot)
    {
        var section = configuration.GetSection("PgHa");
        var store = section["Store"] ?? "sqlite";
        if (store.Equals("postgres", StringComparison.OrdinalIgnoreCase) || store.Equals("postgresql", StringComparison.OrdinalIgnoreCase))
            throw new ServerConfigurationException(
                "PgHa:Store=postgres is not implemented yet: the engine's store runs on SQLite only for now. " +
                "Remove PgHa:Store (or set it to sqlite) and set PgHa:Database to the SQLite file.");
        if (!store.Equals("sqlite", StringComparison.OrdinalIgnoreCase))
            throw new ServerConfigurationException($"PgHa:Store='{store}' is unknown; the only store available is sqlite.");

        var database = Path.GetFullPath(section["Database"] is { Length: > 0 } db ? db : Path.Combine(".pgha", "pgha.db"), contentRoot);
        var dataDirectory = Path.GetDirectoryName(database)!;
        return new ServerSettings
        {
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
        };
    }

    /// <summary>
    /// A configured folder (relative to the content root), or else the first <paramref name="conventional"/> folder
    /// found in the content root or one of its parents: the repository layout when started with dotnet run or from bin/.
    /// "none" switches the folder off.
    /// </summary>
    private static string? Folder(string? configured, string conventional, string contentRoot)
    {
        if (configured is { Length: > 0 })
            return configured.Equals("none", StringComparison.OrdinalIgnoreCase) ? null : Path.GetFullPath(configured, contentRoot);
        for (var dir = new DirectoryInfo(contentRoot); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, conventional);
            if (Directory.Exists(candidate)) return candidate;
        }
        return null;
    }
}

/// <summary>A configuration the server cannot start with; the message says what to change.</summary>
public sealed class ServerConfigurationException(string message) : Exception(message);
