using System.Globalization;
using Microsoft.Extensions.Logging;

namespace PgHa.Lab;

/// <summary>Fault injection for tests and demos (design §8). These are test faults, not product behaviour.</summary>
public sealed partial class LocalLab
{
    /// <summary>SIGKILLs every postmaster of the host (found via its postmaster.pid), like a crash. Returns the data directories hit.</summary>
    public async Task<IReadOnlyList<string>> KillPostgresAsync(string host)
    {
        var process = RequireRunning(host);
        var postmasters = RunningPostmasters(host, process);
        foreach (var (dataDir, postmaster) in postmasters)
        {
            KillPid(postmaster.Pid);
            _logger.LogWarning("FAULT: killed postmaster of {DataDirectory} on {Host} (pid {Pid}) with SIGKILL", dataDir, host, postmaster.Pid);
        }
        for (var i = 0; i < 50 && postmasters.Any(p => LinuxProcesses.Read(p.Process.Pid) is { Name: var n } && n.StartsWith("postgres", StringComparison.Ordinal)); i++)
            await Task.Delay(100).ConfigureAwait(false);
        return postmasters.Select(p => p.DataDirectory).ToList();
    }

    /// <summary>Takes the host's link down: packets to and from it are dropped, like a pulled cable.</summary>
    public async Task CutLinkAsync(string host)
    {
        await _local.RunAsync("ip", "link", "set", LabTopology.Host(host).Link, "down").ConfigureAwait(false);
        _logger.LogWarning("FAULT: cut the link of {Host}", host);
    }

    public async Task RestoreLinkAsync(string host)
    {
        await _local.RunAsync("ip", "link", "set", LabTopology.Host(host).Link, "up").ConfigureAwait(false);
        _logger.LogInformation("Restored the link of {Host}", host);
    }

    /// <summary>
    /// A partial partition: the host can no longer reach these addresses (blackhole routes inside its network namespace),
    /// so their connections to it time out, while the rest of the lab still reaches it.
    /// </summary>
    public Task CutRoutesAsync(string host, params string[] addresses) => RoutesAsync(host, "add", addresses);

    public Task RestoreRoutesAsync(string host, params string[] addresses) => RoutesAsync(host, "del", addresses);

    private async Task RoutesAsync(string host, string action, string[] addresses)
    {
        var process = RequireRunning(host);
        foreach (var address in addresses)
            await _local.RunAsync("nsenter", ["-t", process.InitPid.ToString(CultureInfo.InvariantCulture), "-n", "ip", "route", action, "blackhole", address + "/32"]).ConfigureAwait(false);
        _logger.LogWarning(action == "add" ? "FAULT: {Host} cut off from {Addresses}" : "{Host} reaches {Addresses} again", host, string.Join(", ", addresses));
    }

    /// <summary>Stops the host's sshd listener; with <paramref name="dropSessions"/> its open connections are cut too.</summary>
    public async Task StopSshdAsync(string host, bool dropSessions = false)
    {
        var process = RequireRunning(host);
        var listener = SshdListener(process);
        if (listener is null)
        {
            _logger.LogInformation("sshd of {Host} is not running", host);
            return;
        }
        var sessions = LinuxProcesses.InNetNamespace(process.NetNamespace).Where(p => p.ParentPid == listener.Pid).ToList();
        await _local.RunAsync("kill", "-TERM", listener.Pid.ToString(CultureInfo.InvariantCulture)).ConfigureAwait(false);
        if (dropSessions)
            foreach (var session in sessions) KillPid(session.Pid);
        for (var i = 0; i < 50 && await SshdAnswersAsync(LabTopology.Host(host).Address, TimeSpan.FromMilliseconds(300)).ConfigureAwait(false); i++)
            await Task.Delay(100).ConfigureAwait(false);
        _logger.LogWarning("FAULT: stopped sshd of {Host}{Sessions}", host, dropSessions ? $" and dropped {sessions.Count} session(s)" : "");
    }

    public async Task StartSshdAsync(string host)
    {
        var process = RequireRunning(host);
        if (SshdListener(process) is not null) return;
        // Inside the host, /proc/1/fd/1 is the init's stdout: the host's init.log on the machine.
        await _local.RunAsync("nsenter", ["-t", process.InitPid.ToString(CultureInfo.InvariantCulture), "-a", "--wd=/", "/bin/sh", "-c",
            "/usr/sbin/sshd -D -e -f /etc/ssh/sshd_config </dev/null >>/proc/1/fd/1 2>&1 &"]).ConfigureAwait(false);
        for (var i = 0; i < 100 && !await SshdAnswersAsync(LabTopology.Host(host).Address, TimeSpan.FromMilliseconds(300)).ConfigureAwait(false); i++)
            await Task.Delay(100).ConfigureAwait(false);
        _logger.LogInformation("Started sshd of {Host}", host);
    }

    private ProcessInfo? SshdListener(LabHostProcess process)
    {
        // /proc/INIT/root is the host's own file system view, where its private /run holds sshd's pid file.
        var pidFile = $"/proc/{process.InitPid}/root/run/sshd.pid";
        if (!File.Exists(pidFile)) return null;
        if (!int.TryParse(File.ReadAllText(pidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var innerPid)) return null;
        return LinuxProcesses.InNetNamespace(process.NetNamespace).FirstOrDefault(p => p.InnerPid == innerPid && p.Name == "sshd");
    }

    private LabHostProcess RequireRunning(string host) =>
        HostProcess(host) ?? throw new LabException($"Lab host {host} is not running; bring the lab up first (pgha lab up).");
}
