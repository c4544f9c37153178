using System.Diagnostics;

namespace PgHa.Cli.Commands;

/// <summary>
/// Builds the designer (<c>designer/</c> of the repository) when its <c>dist/</c> is missing or older than its
/// sources, so <c>pgha up</c> on a fresh checkout serves it: <c>npm ci</c> when the installed packages are missing
/// or older than the lock file, then <c>npm run build</c>.
/// </summary>
internal static class DesignerBuild
{
    private static readonly string[] Sources = ["src", "index.html", "package.json", "package-lock.json", "vite.config.ts", "tsconfig.json"];

    /// <summary>The repository's designer folder: from the working directory up, else from the CLI's own folder up.</summary>
    public static string? Find()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "designer", "package.json")))
                    return Path.Combine(dir.FullName, "designer");
        return null;
    }

    public static bool IsStale(string designer)
    {
        var index = new FileInfo(Path.Combine(designer, "dist", "index.html"));
        return !index.Exists || Newest(designer, Sources) > index.LastWriteTimeUtc;
    }

    /// <summary>
    /// Builds when stale and returns the built folder (null without one); a machine without npm keeps the server's
    /// plain page and is told why.
    /// </summary>
    public static async Task<string?> EnsureBuiltAsync(TextWriter console, CancellationToken ct)
    {
        if (Find() is not { } designer) return null;
        var dist = Path.Combine(designer, "dist");
        if (!IsStale(designer)) return dist;
        var installed = new FileInfo(Path.Combine(designer, "node_modules", ".package-lock.json"));
        var lockFile = new FileInfo(Path.Combine(designer, "package-lock.json"));
        try
        {
            if (!installed.Exists || lockFile.LastWriteTimeUtc > installed.LastWriteTimeUtc)
            {
                console.WriteLine($"designer: npm ci in {designer}");
                await NpmAsync(designer, "ci --no-audit --no-fund", ct);
            }
            console.WriteLine("designer: npm run build");
            await NpmAsync(designer, "run build", ct);
            return dist;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            console.WriteLine("designer: npm is not installed (Node.js 20+ is needed), so / shows the plain page; install nodejs and npm to get the designer");
            return File.Exists(Path.Combine(dist, "index.html")) ? dist : null;
        }
    }

    private static DateTime Newest(string root, IEnumerable<string> entries) => entries
        .Select(e => Path.Combine(root, e))
        .SelectMany(p => Directory.Exists(p) ? Directory.EnumerateFiles(p, "*", SearchOption.AllDirectories) : File.Exists(p) ? [p] : [])
        .Select(File.GetLastWriteTimeUtc)
        .DefaultIfEmpty(DateTime.MinValue)
        .Max();

    private static async Task NpmAsync(string directory, string arguments, CancellationToken ct)
    {
        var info = new ProcessStartInfo("npm", arguments) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        using var npm = Process.Start(info)!;
        var output = npm.StandardOutput.ReadToEndAsync(ct);
        var errors = npm.StandardError.ReadToEndAsync(ct);
        await npm.WaitForExitAsync(ct);
        if (npm.ExitCode != 0)
            throw new CliException($"'npm {arguments}' in {directory} failed with exit code {npm.ExitCode}:\n{await output}{await errors}", 2);
    }
}
