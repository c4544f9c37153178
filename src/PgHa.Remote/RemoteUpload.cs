using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Renci.SshNet.Common;

namespace PgHa.Remote;

/// <summary>How uploaded files land on the host.</summary>
public sealed record UploadOptions
{
    /// <summary>Permission bits of uploaded files; null keeps the local file's bits.</summary>
    public UnixFileMode? Mode { get; init; }

    /// <summary>Owner (user or user:group), set with <c>sudo -n chown</c>; null leaves the login user as owner.</summary>
    public string? Owner { get; init; }

    /// <summary>Write through sudo, for targets the login user cannot write (e.g. /etc/pgbouncer as devops).</summary>
    public bool Sudo { get; init; }

    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);
}

/// <summary>What an upload did, by remote path.</summary>
public sealed record UploadReport(IReadOnlyList<string> Transferred, IReadOnlyList<string> Skipped)
{
    public static UploadReport Empty { get; } = new([], []);
    public UploadReport Add(UploadReport other) => new([.. Transferred, .. other.Transferred], [.. Skipped, .. other.Skipped]);
}

public sealed partial class RemoteHost
{
    public Task<UploadReport> UploadFileAsync(string localFile, string remotePath, UploadOptions? options = null, CancellationToken ct = default) =>
        UploadAsync([(localFile, remotePath)], [], options ?? new UploadOptions(), ct);

    /// <summary>Uploads several files with one checksum round trip; files whose SHA-256 already matches are skipped.</summary>
    public Task<UploadReport> UploadFilesAsync(IReadOnlyList<(string Local, string Remote)> files, UploadOptions? options = null, CancellationToken ct = default) =>
        UploadAsync(files, [], options ?? new UploadOptions(), ct);

    /// <summary>Uploads a folder tree; files whose SHA-256 already matches on the host are skipped.</summary>
    public Task<UploadReport> UploadDirectoryAsync(string localDirectory, string remoteDirectory, UploadOptions? options = null, CancellationToken ct = default)
    {
        var root = Path.GetFullPath(localDirectory);
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"Local folder '{localDirectory}' does not exist.");
        string Remote(string local) =>
            remoteDirectory.TrimEnd('/') + "/" + Path.GetRelativePath(root, local).Replace(Path.DirectorySeparatorChar, '/');
        var files = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(f => (f, Remote(f))).ToList();
        var dirs = Directory.EnumerateDirectories(root, "*", SearchOption.AllDirectories).Select(Remote).Prepend(remoteDirectory.TrimEnd('/')).ToList();
        return UploadAsync(files, dirs, options ?? new UploadOptions(), ct);
    }

    private async Task<UploadReport> UploadAsync(IReadOnlyList<(string Local, string Remote)> files, IReadOnlyList<string> directories,
        UploadOptions options, CancellationToken ct)
    {
        foreach (var (local, _) in files)
            if (!File.Exists(local)) throw new FileNotFoundException($"Local file '{local}' does not exist.", local);

        if (directories.Count > 0)
        {
            await RunAsync(new RemoteCommand { Program = "mkdir", Arguments = ["-p", "--", .. directories], Sudo = options.Sudo, Timeout = options.Timeout }, null, ct).ConfigureAwait(false);
            if (options.Owner is not null)
                await RunAsync(new RemoteCommand { Program = "chown", Arguments = ["--", options.Owner, .. directories], Sudo = true, Timeout = options.Timeout }, null, ct).ConfigureAwait(false);
        }

        var report = await CompareFilesAsync(files, options, ct).ConfigureAwait(false);
        foreach (var (local, remote) in files.Where(f => report.Transferred.Contains(f.Remote)))
        {
            ct.ThrowIfCancellationRequested();
            await UploadOneAsync(local, remote, options, ct).ConfigureAwait(false);
        }
        _logger.LogInformation("Upload to {Host}: {Transferred} transferred, {Skipped} unchanged", Name, report.Transferred.Count, report.Skipped.Count);
        return report;
    }

    /// <summary>What an upload of these files would do (transfer the missing or different ones, skip the rest); changes nothing.</summary>
    public async Task<UploadReport> CompareFilesAsync(IReadOnlyList<(string Local, string Remote)> files, UploadOptions? options = null, CancellationToken ct = default)
    {
        var remoteHashes = await RemoteChecksumsAsync(files.Select(f => f.Remote).ToList(), options ?? new UploadOptions(), ct).ConfigureAwait(false);
        var transferred = new List<string>();
        var skipped = new List<string>();
        foreach (var (local, remote) in files)
        {
            var same = remoteHashes.TryGetValue(remote, out var hash) && hash == await LocalChecksumAsync(local, ct).ConfigureAwait(false);
            (same ? skipped : transferred).Add(remote);
        }
        return new UploadReport(transferred, skipped);
    }

    // One sha256sum for all files; missing or unreadable ones are simply absent from the answer.
    private async Task<Dictionary<string, string>> RemoteChecksumsAsync(IReadOnlyList<string> paths, UploadOptions options, CancellationToken ct)
    {
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        if (paths.Count == 0) return hashes;
        var result = await RunAsync(new RemoteCommand
        {
            Program = "sha256sum", Arguments = ["--", .. paths], Sudo = options.Sudo, Timeout = options.Timeout, ThrowOnFailure = false,
        }, null, ct).ConfigureAwait(false);
        foreach (var line in result.StdOut.Split('\n'))
        {
            // "<64 hex>  <path>"; lines starting with '\' have escaped names and are treated as changed.
            if (line.Length < 67 || line[64] != ' ' || line[0] == '\\') continue;
            hashes[line[66..]] = line[..64];
        }
        return hashes;
    }

    private static async Task<string> LocalChecksumAsync(string path, CancellationToken ct)
    {
        await using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct).ConfigureAwait(false));
    }

    private async Task UploadOneAsync(string local, string remote, UploadOptions options, CancellationToken ct)
    {
        // Windows has no mode bits to keep; fall back to rw-r--r--.
        var mode = options.Mode ?? (OperatingSystem.IsWindows() ? (UnixFileMode)0x1A4 : File.GetUnixFileMode(local));
        var octal = Convert.ToString((int)mode & 0x1FF, 8);
        var fileName = remote[(remote.LastIndexOf('/') + 1)..];
        var directory = remote[..(remote.LastIndexOf('/') + 1)];
        var nonce = Guid.NewGuid().ToString("N")[..12];

        if (options.Sudo)
        {
            // The login user cannot write there: stage in its own /tmp, then copy next to the target and rename as root.
            var staged = $"/tmp/.pgha-upload-{nonce}";
            await SftpPutAsync(local, staged, ct).ConfigureAwait(false);
            var temp = $"{directory}.{fileName}.pgha-{nonce}";
            var script = $"""
                staged={ShellQuoting.Quote(staged)}; temp={ShellQuoting.Quote(temp)}
                trap 'rm -f -- "$staged" "$temp"' EXIT
                cp -- "$staged" "$temp"
                chmod {octal} -- "$temp"
                {(options.Owner is null ? "" : $"chown -- {ShellQuoting.Quote(options.Owner)} \"$temp\"")}
                mv -f -- "$temp" {ShellQuoting.Quote(remote)}
                """;
            await RunAsync(new RemoteCommand { Script = "set -e\n" + script, Sudo = true, Timeout = options.Timeout }, null, ct).ConfigureAwait(false);
            return;
        }

        var tempPath = $"{directory}.{fileName}.pgha-{nonce}";
        await SftpPutAsync(local, tempPath, ct).ConfigureAwait(false);
        var sftp = await _pool.SftpAsync(Target, ct).ConfigureAwait(false);
        try
        {
            await DedicatedThread.RunAsync(() => sftp.ChangePermissions(tempPath, short.Parse(octal, CultureInfo.InvariantCulture))).ConfigureAwait(false);
            if (options.Owner is not null)
                await RunAsync(new RemoteCommand { Program = "chown", Arguments = ["--", options.Owner, tempPath], Sudo = true, Timeout = options.Timeout }, null, ct).ConfigureAwait(false);
            // posix-rename replaces the target atomically: readers see the old file or the new one, never half of it.
            // (RenameFileAsync is plain SFTP rename, which refuses an existing target.)
            await DedicatedThread.RunAsync(() => sftp.RenameFile(tempPath, remote, isPosix: true)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SshException or IOException or RemoteException)
        {
            try { await sftp.DeleteFileAsync(tempPath, CancellationToken.None).ConfigureAwait(false); } catch (Exception) { /* best effort */ }
            if (e is RemoteException) throw;
            throw new RemoteTransferException(Name, $"Cannot put {remote} on {Name}: {_pool.Redactor.Redact(e.Message)}", e);
        }
    }

    private async Task SftpPutAsync(string local, string remote, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            var sftp = await _pool.SftpAsync(Target, ct).ConfigureAwait(false);
            try
            {
                await using var stream = File.OpenRead(local);
                await sftp.UploadFileAsync(stream, remote, ct).ConfigureAwait(false);
                return;
            }
            catch (SshConnectionException) when (attempt == 1)
            {
                _pool.Evict(Target, sftp);
            }
            catch (Exception e) when (e is SshException or IOException)
            {
                throw new RemoteTransferException(Name, $"Cannot upload {local} to {Name}:{remote}: {_pool.Redactor.Redact(e.Message)}", e);
            }
        }
    }
}
