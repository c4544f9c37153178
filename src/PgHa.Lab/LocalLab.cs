using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace PgHa.Lab;

/// <summary>
/// The local multi-host lab of design §8: three hosts (network, mount, uts, ipc and pid namespaces, each with
/// its own sshd) on a private bridge, the root namespace as bastion. Needs root on Linux.
/// </summary>
public sealed partial class LocalLab
{
    private readonly LabState _state;
    private readonly LocalCommand _local;
    private readonly ILogger _logger;
    private readonly ILoggerFactory _loggerFactory;

    public LocalLab(LabOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        Options = options ?? new LabOptions();
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger<LocalLab>();
        _state = new LabState(Options.LabDirectory);
        _local = new LocalCommand(_logger);
    }

    public LabOptions Options { get; }
    public string LabDirectory => _state.Root;
    public string InventoryFile => _state.InventoryFile;
    public string SecretsFile => _state.SecretsFile;
    public string KnownHostsFile => _state.KnownHostsFile;
    public string KeyFile(string user) => _state.KeyFile(user);

    /// <summary>The recorded init process of a running host, or null.</summary>
    public LabHostProcess? HostProcess(string host) =>
        _state.Load(LabTopology.Host(host).Name) is { } p && LinuxProcesses.IsAlive(p) ? p : null;

    /// <summary>
    /// Declares this process a user of the lab until the returned handle is disposed: <see cref="DownAsync"/> in any
    /// process waits for every user to finish (up to <see cref="LabOptions.WaitForUsersTimeout"/>) instead of pulling the lab away.
    /// </summary>
    public Task<IDisposable> UseAsync(CancellationToken ct = default) => LabLock.UseAsync(_logger, TimeSpan.FromMinutes(15), ct);

    /// <summary>Refuses, with the reason, when this machine cannot run the lab.</summary>
    public async Task EnsureMachineCanRunLabAsync()
    {
        if (!OperatingSystem.IsLinux())
            throw new LabException("The lab needs Linux network, mount and pid namespaces; this is not Linux.");
        if (!Environment.IsPrivilegedProcess)
            throw new LabException("The lab needs root (it creates namespaces, a bridge and users); run it with sudo or as root.");
        foreach (var kind in new[] { "net", "mnt", "pid", "uts", "ipc" })
            if (!File.Exists($"/proc/self/ns/{kind}"))
                throw new LabException($"This kernel has no {kind} namespaces (/proc/self/ns/{kind} is missing); the lab cannot run here.");
        var probe = await _local.RunAsync("unshare", ["--net", "--mount", "--uts", "--ipc", "--pid", "--fork", "true"], check: false).ConfigureAwait(false);
        if (!probe.Succeeded)
            throw new LabException($"Creating namespaces is not permitted here (unshare: {probe.StdErr.Trim()}); " +
                                   "run on a machine or container with CAP_SYS_ADMIN (e.g. a privileged container).");
    }

    private static async Task<bool> SshdAnswersAsync(string address, TimeSpan timeout)
    {
        using var tcp = new TcpClient();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await tcp.ConnectAsync(address, 22, cts.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException) { return false; }
    }
}
