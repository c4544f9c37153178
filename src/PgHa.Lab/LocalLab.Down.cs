using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace PgHa.Lab;

public sealed record LabDownResult(bool Clean, IReadOnlyList<string> Problems, TimeSpan Duration)
{
    public override string ToString() => Clean
        ? $"CLEAN: no lab process, namespace, mount, link, address, user or sudoers file is left ({Duration.TotalSeconds:0.0} s)"
        : "NOT CLEAN:\n  " + string.Join("\n  ", Problems);
}

public sealed partial class LocalLab
{
    /// <summary>
    /// Tears the lab down completely, also after a half-failed bring-up: postgres stopped politely, every host
    /// killed by recorded pid (guarded by its netns inode), namespaces, bridge, sudoers file and created users
    /// removed. Then checks /proc and ip independently; state files are deleted only when clean.
    /// </summary>
    public async Task<LabDownResult> DownAsync(CancellationToken ct = default)
    {
        if (!Environment.IsPrivilegedProcess)
            throw new LabException("Tearing the lab down needs root; run it with sudo or as root.");
        using var exclusive = await LabLock.AcquireAsync(_logger, TimeSpan.FromMinutes(15), ct).ConfigureAwait(false);
        using var nobodyUsingIt = await LabLock.NoUsersAsync(_logger, Options.WaitForUsersTimeout, ct).ConfigureAwait(false);
        return await TearDownAsync(ct).ConfigureAwait(false);
    }

    private async Task<LabDownResult> TearDownAsync(CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        var netNamespaces = new HashSet<ulong>();

        await Task.WhenAll(LabTopology.Hosts.Select(h => StopHostAsync(h, netNamespaces, ct))).ConfigureAwait(false);

        if (Directory.Exists("/sys/class/net/" + LabTopology.Bridge))
            await _local.TryAsync("ip", "link", "del", LabTopology.Bridge).ConfigureAwait(false);
        // A veth normally goes with its namespace, asynchronously; delete it only if it is still there.
        foreach (var host in LabTopology.Hosts.Where(h => Directory.Exists("/sys/class/net/" + h.Link)))
            await _local.TryAsync("ip", "link", "del", host.Link).ConfigureAwait(false);
        if (Directory.Exists("/run/netns") && !Directory.EnumerateFileSystemEntries("/run/netns").Any())
        {
            await _local.TryAsync("umount", "/run/netns").ConfigureAwait(false);
            try { Directory.Delete("/run/netns"); } catch (IOException) { /* still a mount point elsewhere: harmless */ }
        }

        foreach (var file in new[] { LabTopology.SudoersFile, LabTopology.SudoersFile + ".tmp" })
            File.Delete(file);
        foreach (var user in _state.CreatedUsers())
        {
            if (!(await _local.TryAsync("id", "-u", user).ConfigureAwait(false)).Succeeded) continue;
            var removed = await _local.TryAsync("userdel", user).ConfigureAwait(false);
            if (!removed.Succeeded) _logger.LogWarning("userdel {User} failed: {Error}", user, removed.StdErr.Trim());
        }

        // The kernel releases namespaces and links shortly after their last process; give it a moment before judging.
        var problems = await FindLeftoversAsync(netNamespaces).ConfigureAwait(false);
        for (var i = 0; i < 25 && problems.Count > 0; i++)
        {
            await Task.Delay(200, ct).ConfigureAwait(false);
            problems = await FindLeftoversAsync(netNamespaces).ConfigureAwait(false);
        }
        if (problems.Count == 0)
        {
            foreach (var dir in new[] { _state.HostsDir, _state.BastionDir, _state.StateDir })
                if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            File.Delete(InventoryFile);
            File.Delete(SecretsFile);
        }
        var result = new LabDownResult(problems.Count == 0, problems, sw.Elapsed);
        if (result.Clean) _logger.LogInformation("Lab is down: {Result}", result.ToString());
        else _logger.LogError("Lab teardown left things behind: {Problems}", string.Join("; ", problems));
        return result;
    }

    private async Task StopHostAsync(LabHost host, HashSet<ulong> netNamespaces, CancellationToken ct)
    {
        var recorded = _state.Load(host.Name);
        if (recorded is not null) lock (netNamespaces) netNamespaces.Add(recorded.NetNamespace);

        if (recorded is not null && LinuxProcesses.IsAlive(recorded))
        {
            foreach (var (dataDir, _) in RunningPostmasters(host.Name, recorded))
                await StopPostgresPolitelyAsync(host, recorded, dataDir, ct).ConfigureAwait(false);
            // Killing the pid namespace's init makes the kernel kill every process of the host with it.
            if (LinuxProcesses.IsAlive(recorded)) KillPid(recorded.InitPid);
            _logger.LogInformation("Stopped host {Host} (init pid {Pid})", host.Name, recorded.InitPid);
        }

        var netns = await _local.RunAsync("ip", ["netns", "list"], check: false).ConfigureAwait(false);
        if (!netns.StdOut.Split('\n').Any(l => l.Split(' ')[0] == host.Name)) return;

        // Fallback for a host whose pids were never recorded (bring-up interrupted): whatever is still in its netns.
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var pids = (await _local.RunAsync("ip", ["netns", "pids", host.Name], check: false).ConfigureAwait(false)).StdOut
                .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList();
            foreach (var pid in pids)
                if (LinuxProcesses.Namespace(pid, "net") is { } inode) lock (netNamespaces) netNamespaces.Add(inode);
            if (pids.Count == 0 || deadline.Elapsed > TimeSpan.FromSeconds(15)) break;
            foreach (var pid in pids) KillPid(pid);
            await Task.Delay(200, ct).ConfigureAwait(false);
        }
        // Whatever could not be deleted shows up in the leftover check below.
        await _local.TryAsync("ip", "netns", "del", host.Name).ConfigureAwait(false);
    }

    private async Task StopPostgresPolitelyAsync(LabHost host, LabHostProcess process, string dataDir, CancellationToken ct)
    {
        var owner = (await _local.RunAsync("stat", ["-c", "%U", $"/proc/{process.InitPid}/root{dataDir}"], check: false).ConfigureAwait(false)).StdOut.Trim();
        if (owner.Length == 0 || owner == "root") owner = LabTopology.DeployUser;
        var stop = await _local.RunAsync("nsenter",
            ["-t", process.InitPid.ToString(), "-a", "--wd=/", "runuser", "-u", owner, "--", LabTopology.PgCtl, "-D", dataDir, "stop", "-m", "fast", "-w", "-t", "30"],
            check: false, ct: ct).ConfigureAwait(false);
        _logger.LogInformation("Stopped PostgreSQL {DataDirectory} on {Host}: {Result}", dataDir, host.Name,
            stop.Succeeded ? "clean shutdown" : "pg_ctl said: " + (stop.StdErr + stop.StdOut).Trim());
    }

    private static void KillPid(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill(); // SIGKILL on Linux
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception) { /* already gone */ }
    }

    /// <summary>Independent check from /proc and ip: what of the lab still exists.</summary>
    private async Task<List<string>> FindLeftoversAsync(IReadOnlySet<ulong> netNamespaces)
    {
        var problems = new List<string>();
        foreach (var p in LinuxProcesses.All().Where(p => netNamespaces.Contains(p.NetNamespace)))
            problems.Add($"process {p.Pid} ({p.Name}) is still in a lab network namespace");
        var marker = Path.GetFileName(_state.Root) + "/hosts/";
        foreach (var pid in LinuxProcesses.SeeingMount(marker))
            problems.Add($"process {pid} still sees lab mounts ({marker})");
        var netns = (await _local.RunAsync("ip", ["netns", "list"], check: false).ConfigureAwait(false)).StdOut;
        foreach (var host in LabTopology.Hosts)
        {
            if (netns.Split('\n').Any(l => l.Split(' ')[0] == host.Name)) problems.Add($"network namespace {host.Name} still exists");
            if (Directory.Exists("/sys/class/net/" + host.Link)) problems.Add($"link {host.Link} still exists");
        }
        if (Directory.Exists("/sys/class/net/" + LabTopology.Bridge)) problems.Add($"bridge {LabTopology.Bridge} still exists");
        var addresses = (await _local.RunAsync("ip", ["-o", "addr", "show"], check: false).ConfigureAwait(false)).StdOut;
        if (addresses.Contains(" " + LabTopology.SubnetPrefix, StringComparison.Ordinal)) problems.Add($"an address in {LabTopology.SubnetPrefix}0/24 is still configured");
        if (File.Exists(LabTopology.SudoersFile)) problems.Add($"{LabTopology.SudoersFile} still exists");
        foreach (var user in _state.CreatedUsers())
            if ((await _local.TryAsync("id", "-u", user).ConfigureAwait(false)).Succeeded) problems.Add($"user {user} (created by the lab) still exists");
        return problems;
    }
}
