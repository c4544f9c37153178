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

    public string LocalScript(string name) =>
        ScriptProblem(name, ScriptsDirectory) is { } problem ? throw new ActivityInputException(problem) : Path.Combine(ScriptsDirectory, name);

    /// <summary>Why a script name cannot be run (not a plain *.sh name, or not in the scripts folder), or null.</summary>
    public static string? ScriptProblem(string name, string scriptsDirectory)
    {
        if (name.Length == 0 || name.Contains('/') || name.Contains('\\') || name.StartsWith('.') || !name.EndsWith(".sh", StringComparison.Ordinal))
            return $"script '{name}' must be a plain *.sh file name from workflows/scripts (no folders, no leading dot)";
        return File.Exists(Path.Combine(scriptsDirectory, name)) ? null
            : $"script '{name}' does not exist in {scriptsDirectory}; the scripts there are: " +
              string.Join(", ", Directory.EnumerateFiles(scriptsDirectory, "*.sh").Select(Path.GetFileName).Where(f => !f!.StartsWith("pgha_", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
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
        var directory = await RemoteDirectoryAsync(host, account, ct);
        var report = await SyncIntoAsync(host, account, directory, scripts, ct);
        log($"{host.Name}: {directory}: {report.Transferred.Count} file(s) uploaded, {report.Skipped.Count} unchanged" +
            (report.Transferred.Count == 0 ? "" : " (" + string.Join(", ", report.Transferred.Select(Path.GetFileName)) + ")"));
        return (directory, report);
    }

    /// <summary>What <see cref="SyncAsync"/> would upload (missing or changed files); changes nothing on the host.</summary>
    public async Task<(string Directory, UploadReport Report)> PlanSyncAsync(HostRef host, HostAccount account, IReadOnlyCollection<string>? scripts,
        CancellationToken ct)
    {
        var directory = await RemoteDirectoryAsync(host, account, ct);
        var report = await WithEnvironmentFileAsync(host, ct, env => cluster.Remote(host, account).CompareFilesAsync(
            [.. Files(scripts).Select(f => (f, directory + "/" + Path.GetFileName(f))), (env, directory + "/" + PgHaEnvironment.FileName)], null, ct));
        return (directory, report);
    }

    /// <summary>
    /// For a dry run: the scripts and a fresh pgha.env in a new folder under /tmp, so a script can plan without the
    /// deployment folder being touched; <see cref="RemoveStagedAsync"/> deletes it.
    /// </summary>
    public async Task<string> StageAsync(HostRef host, HostAccount account, IReadOnlyCollection<string> scripts, CancellationToken ct)
    {
        var remote = cluster.Remote(host, account);
        var directory = (await remote.ReadAsync(RemoteCommand.Run("mktemp", "-d", "/tmp/pgha-plan-XXXXXXXX") with { Timeout = TimeSpan.FromSeconds(30) }, ct)).Trim();
        await SyncIntoAsync(host, account, directory, scripts, ct);
        return directory;
    }

    public Task RemoveStagedAsync(HostRef host, HostAccount account, string directory) =>
        cluster.Remote(host, account).RunAsync(new RemoteCommand
        {
            Program = "rm", Arguments = ["-rf", "--", directory], Timeout = TimeSpan.FromSeconds(30), ThrowOnFailure = false,
        }, null, CancellationToken.None);

    private async Task<UploadReport> SyncIntoAsync(HostRef host, HostAccount account, string directory, IReadOnlyCollection<string>? scripts,
        CancellationToken ct)
    {
        var remote = cluster.Remote(host, account);
        await remote.RunAsync(new RemoteCommand { Program = "install", Arguments = ["-d", "-m", "0700", "--", directory], Timeout = TimeSpan.FromSeconds(30) }, null, ct);
        var report = await remote.UploadFilesAsync(Files(scripts).Select(f => (f, directory + "/" + Path.GetFileName(f))).ToList(),
            new UploadOptions { Mode = ScriptMode }, ct);
        return report.Add(await WithEnvironmentFileAsync(host, ct, env =>
            remote.UploadFileAsync(env, directory + "/" + PgHaEnvironment.FileName, new UploadOptions { Mode = EnvMode }, ct)));
    }

    private List<string> Files(IReadOnlyCollection<string>? scripts) => scripts is null
        ? Directory.EnumerateFiles(ScriptsDirectory, "*.sh").Order(StringComparer.Ordinal).ToList()
        : scripts.Select(LocalScript).Concat(Libraries()).Distinct().ToList();

    // pgha.env rendered for this host into a local temporary file for the duration of one upload or comparison.
    private async Task<T> WithEnvironmentFileAsync<T>(HostRef host, CancellationToken ct, Func<string, Task<T>> use)
    {
        var env = Path.Combine(Path.GetTempPath(), $"pgha-env-{Guid.NewGuid():N}");
        try
        {
            await File.WriteAllTextAsync(env, PgHaEnvironment.Render(cluster.Inventory, host.Name), ct);
            return await use(env);
        }
        finally
        {
            File.Delete(env);
        }
    }

    /// <summary>
    /// The lines `sha256sum -c` needs to tell that the host already has exactly these scripts, the shared libraries and
    /// the pgha.env this inventory renders for it, so a script can run in the same round trip as the check.
    /// </summary>
    public string Checksums(HostRef host, string directory, IReadOnlyCollection<string> scripts)
    {
        var sums = new System.Text.StringBuilder();
        void Sum(byte[] content, string name) =>
            sums.Append(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content))).Append("  ").Append(directory).Append('/').Append(name).Append('\n');
        foreach (var file in Files(scripts)) Sum(File.ReadAllBytes(file), Path.GetFileName(file));
        Sum(System.Text.Encoding.UTF8.GetBytes(PgHaEnvironment.Render(cluster.Inventory, host.Name)), PgHaEnvironment.FileName);
        return sums.ToString();
    }

    /// <summary>Shared libraries (pgha_*.sh) the scripts source; uploaded with any single script.</summary>
    public IEnumerable<string> Libraries() => Directory.EnumerateFiles(ScriptsDirectory, "pgha_*.sh").Order(StringComparer.Ordinal);
}
