using PgHa.Remote;
using PgHa.Workflows.Activities;

namespace PgHa.Activities;

/// <summary>Where the host scripts are read from on the bastion.</summary>
public sealed class ScriptOptions
{
    /// <summary>Folder holding the *.sh host scripts; null = the repository's workflows/scripts, found from the app or current directory.</summary>
    public string? ScriptsDirectory { get; set; }

    public string ResolveScriptsDirectory()
    {
        if (ScriptsDirectory is { } configured)
            return Directory.Exists(configured) ? Path.GetFullPath(configured)
                : throw new DirectoryNotFoundException($"scripts folder '{configured}' (configured) does not exist");
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "workflows", "scripts");
                if (Directory.Exists(candidate)) return candidate;
            }
        throw new DirectoryNotFoundException(
            $"no workflows/scripts folder above {AppContext.BaseDirectory} or {Directory.GetCurrentDirectory()}; configure ScriptOptions.ScriptsDirectory");
    }
}

/// <summary>
/// Puts the host scripts and a freshly rendered pgha.env on a host: folder 0700, scripts 0750, env 0600, owned by
/// the account that runs them. Unchanged files are skipped by checksum, so a repeat costs one sha256sum.
/// </summary>
public sealed class ScriptDeployment(ClusterHosts cluster, ScriptOptions options)
{
    private static readonly UnixFileMode ScriptMode = (UnixFileMode)Convert.ToInt32("750", 8);
    private static readonly UnixFileMode EnvMode = (UnixFileMode)Convert.ToInt32("600", 8);

    public string ScriptsDirectory { get; } = options.ResolveScriptsDirectory();

    public string LocalScript(string name)
    {
        if (name.Length == 0 || name.Contains('/') || name.StartsWith('.') || !name.EndsWith(".sh", StringComparison.Ordinal))
            throw new ActivityInputException($"script '{name}' must be a plain *.sh file name from workflows/scripts");
        var path = Path.Combine(ScriptsDirectory, name);
        return File.Exists(path) ? path : throw new ActivityInputException($"script '{name}' does not exist in {ScriptsDirectory}");
    }

    /// <summary>The folder the scripts live in for that account: DEPLOYMENT_PATH for silkcloud, ~/pgha for devops.</summary>
    public async Task<string> RemoteDirectoryAsync(HostRef host, HostAccount account, CancellationToken ct)
    {
        if (account == HostAccount.Deploy) return cluster.Inventory.Paths.Deployment;
        var home = await cluster.Remote(host, account).ReadAsync(RemoteCommand.Bash("printf '%s\\n' \"$HOME\"") with { Timeout = TimeSpan.FromSeconds(30) }, ct);
        return home.TrimEnd('/') + "/pgha";
    }

    /// <summary>Uploads every script (or only <paramref name="scripts"/> plus the shared library) and pgha.env.</summary>
    public async Task<(string Directory, UploadReport Report)> SyncAsync(HostRef host, HostAccount account, IReadOnlyCollection<string>? scripts,
        Action<string> log, CancellationToken ct)
    {
        var remote = cluster.Remote(host, account);
        var directory = await RemoteDirectoryAsync(host, account, ct);
        await remote.RunAsync(new RemoteCommand { Program = "install", Arguments = ["-d", "-m", "0700", "--", directory], Timeout = TimeSpan.FromSeconds(30) }, null, ct);

        var files = scripts is null
            ? Directory.EnumerateFiles(ScriptsDirectory, "*.sh").Order(StringComparer.Ordinal).ToList()
            : scripts.Select(LocalScript).Concat(Libraries()).Distinct().ToList();
        var report = await remote.UploadFilesAsync(files.Select(f => (f, directory + "/" + Path.GetFileName(f))).ToList(),
            new UploadOptions { Mode = ScriptMode }, ct);

        var env = Path.Combine(Path.GetTempPath(), $"pgha-env-{Guid.NewGuid():N}");
        try
        {
            await File.WriteAllTextAsync(env, PgHaEnvironment.Render(cluster.Inventory, host.Name), ct);
            report = report.Add(await remote.UploadFileAsync(env, directory + "/" + PgHaEnvironment.FileName, new UploadOptions { Mode = EnvMode }, ct));
        }
        finally
        {
            File.Delete(env);
        }
        log($"{host.Name}: {directory}: {report.Transferred.Count} file(s) uploaded, {report.Skipped.Count} unchanged" +
            (report.Transferred.Count == 0 ? "" : " (" + string.Join(", ", report.Transferred.Select(Path.GetFileName)) + ")"));
        return (directory, report);
    }

    /// <summary>Shared libraries (pgha_*.sh) the scripts source; uploaded with any single script.</summary>
    public IEnumerable<string> Libraries() => Directory.EnumerateFiles(ScriptsDirectory, "pgha_*.sh").Order(StringComparer.Ordinal);
}
