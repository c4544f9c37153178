using System.Globalization;

namespace PgHa.Lab;

public sealed record LabHostStatus(string Name, string Address, string Role, bool Running, int? InitPid, bool LinkUp, bool SshdAnswers,
    int PostgresRunning);

public sealed record LabStatus(string LabDirectory, bool Healthy, bool HasLeftovers, IReadOnlyList<LabHostStatus> Hosts)
{
    public override string ToString() =>
        (Healthy ? "lab is UP and healthy" : HasLeftovers ? "lab is DEGRADED (partly up or leftovers)" : "lab is DOWN") +
        $" ({LabDirectory})" + string.Concat(Hosts.Select(h =>
            $"\n  {h.Name,-13} {h.Address,-11} {h.Role,-8} host={(h.Running ? $"running(pid {h.InitPid})" : "stopped")} " +
            $"link={(h.LinkUp ? "up" : "down")} sshd={(h.SshdAnswers ? "answering" : "not answering")} postgres={h.PostgresRunning}"));
}

public sealed partial class LocalLab
{
    public async Task<LabStatus> StatusAsync()
    {
        var hosts = await Task.WhenAll(LabTopology.Hosts.Select(async h =>
        {
            var process = HostProcess(h.Name);
            var sshd = process is not null && await SshdAnswersAsync(h.Address, TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            return new LabHostStatus(h.Name, h.Address, h.Role, process is not null, process?.InitPid, LinkIsUp(h.Link), sshd,
                process is null ? 0 : RunningPostmasters(h.Name, process).Count);
        })).ConfigureAwait(false);

        var netns = (await _local.RunAsync("ip", ["netns", "list"], check: false).ConfigureAwait(false)).StdOut;
        var leftovers = hosts.Any(h => h.Running)
                        || LabTopology.Hosts.Any(h => netns.Split('\n').Any(l => l.Split(' ')[0] == h.Name))
                        || Directory.Exists("/sys/class/net/" + LabTopology.Bridge)
                        || File.Exists(LabTopology.SudoersFile)
                        || _state.CreatedUsers().Count > 0
                        || Directory.Exists(_state.HostsDir) || Directory.Exists(_state.StateDir);
        var healthy = hosts.All(h => h.Running && h.LinkUp && h.SshdAnswers) && File.Exists(InventoryFile) && File.Exists(SecretsFile)
                      && LabTopology.Users.All(u => File.Exists(KeyFile(u)));
        return new LabStatus(LabDirectory, healthy, leftovers, hosts);
    }

    private static bool LinkIsUp(string link)
    {
        // IFF_UP in the interface flags: what `ip link set ... down/up` changes.
        var flags = $"/sys/class/net/{link}/flags";
        return File.Exists(flags) && (Convert.ToInt32(File.ReadAllText(flags).Trim(), 16) & 1) == 1;
    }

    /// <summary>Postmasters of a host: postmaster.pid files under its private data and home trees, pid alive in the host.</summary>
    private List<(string DataDirectory, ProcessInfo Process)> RunningPostmasters(string host, LabHostProcess process)
    {
        var found = new List<(string, ProcessInfo)>();
        var inHost = LinuxProcesses.InNetNamespace(process.NetNamespace);
        foreach (var (pidFile, dataDir) in PostmasterPidFiles(host))
        {
            string firstLine;
            try { firstLine = File.ReadLines(pidFile).FirstOrDefault() ?? ""; }
            catch (IOException) { continue; }
            if (!int.TryParse(firstLine.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var innerPid)) continue;
            var postmaster = inHost.FirstOrDefault(p => p.InnerPid == innerPid && p.Name.StartsWith("postgres", StringComparison.Ordinal));
            if (postmaster is not null) found.Add((dataDir, postmaster));
        }
        return found;
    }

    /// <summary>(file on the machine, data directory as the host sees it).</summary>
    private IEnumerable<(string PidFile, string DataDirectory)> PostmasterPidFiles(string host)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, MaxRecursionDepth = 6 };
        foreach (var (folder, mountPoint) in new[] { ("var-lib-postgresql", "/var/lib/postgresql"), ("home", "/home") })
        {
            var root = Path.Combine(_state.HostDir(host), folder);
            if (!Directory.Exists(root)) continue;
            foreach (var file in Directory.EnumerateFiles(root, "postmaster.pid", options))
                yield return (file, mountPoint + "/" + Path.GetRelativePath(root, Path.GetDirectoryName(file)!));
        }
    }
}
