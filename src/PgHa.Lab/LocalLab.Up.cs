using System.Diagnostics;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using PgHa.Clusters;
using PgHa.Remote;
using PgHa.Secrets;

namespace PgHa.Lab;

public sealed record LabUpResult(bool AlreadyUp, TimeSpan BringUpTime, IReadOnlyList<string> PackagesInstalled,
    IReadOnlyList<(string Step, TimeSpan Duration)> Steps, string InventoryFile);

public sealed partial class LocalLab
{
    /// <summary>Names of the lab's secrets (the inventory refers to them; secrets.json holds their values).</summary>
    public static readonly IReadOnlyDictionary<string, string> SecretNames = new Dictionary<string, string>
    {
        ["replicationPassword"] = "lab-replication-password",
        ["pgbouncerAdminPassword"] = "lab-pgbouncer-admin-password",
        ["appPassword"] = "lab-app-password",
    };

    /// <summary>
    /// Brings the lab up. Idempotent: a healthy lab is left alone; leftovers of a broken one are torn down first.
    /// <see cref="LabUpResult.BringUpTime"/> excludes the package install.
    /// </summary>
    public async Task<LabUpResult> UpAsync(CancellationToken ct = default)
    {
        await EnsureMachineCanRunLabAsync().ConfigureAwait(false);
        using var exclusive = await LabLock.AcquireAsync(_logger, TimeSpan.FromMinutes(15), ct).ConfigureAwait(false);
        var status = await StatusAsync().ConfigureAwait(false);
        if (status.Healthy)
        {
            _logger.LogInformation("The lab is already up and healthy ({LabDirectory}); nothing to do", LabDirectory);
            return new LabUpResult(true, TimeSpan.Zero, [], [], InventoryFile);
        }
        if (status.HasLeftovers)
        {
            _logger.LogInformation("Found leftovers of an earlier lab; tearing them down first");
            var down = await TearDownAsync(ct).ConfigureAwait(false);
            if (!down.Clean)
                throw new LabException("Leftovers of an earlier lab could not be removed: " + string.Join("; ", down.Problems));
        }

        var installed = Options.InstallPackages
            ? await new LabPackages(_local, _logger).InstallMissingAsync(ct).ConfigureAwait(false)
            : [];
        if (!Options.InstallPackages && await new LabPackages(_local, _logger).MissingAsync().ConfigureAwait(false) is { Count: > 0 } missing)
            throw new LabException("Packages missing for the lab: " + string.Join(' ', missing));

        var total = Stopwatch.StartNew();
        var steps = new List<(string, TimeSpan)>();
        async Task Step(string name, Func<Task> action)
        {
            _logger.LogInformation("Lab up: {Step}", name);
            var sw = Stopwatch.StartNew();
            try
            {
                await action().ConfigureAwait(false);
            }
            catch (Exception e) when (e is not LabException)
            {
                throw new LabException($"Lab bring-up failed at '{name}': {e.Message}. Run 'pgha lab down' to clean up (the next 'lab up' does it too).", e);
            }
            steps.Add((name, sw.Elapsed));
            _logger.LogInformation("Lab up: {Step} done in {Ms} ms", name, sw.ElapsedMilliseconds);
        }

        Directory.CreateDirectory(_state.Root);
        Directory.CreateDirectory(_state.StateDir);
        await Step("accounts", CreateAccountsAsync).ConfigureAwait(false);
        await Step("keys", CreateBastionKeysAsync).ConfigureAwait(false);
        await Step("host files", PrepareHostFilesAsync).ConfigureAwait(false);
        await Step("network", CreateNetworkAsync).ConfigureAwait(false);
        await Step("start hosts", StartHostsAsync).ConfigureAwait(false);
        await Step("ssh smoke test", SmokeTestAsync).ConfigureAwait(false);
        await Step("inventory", WriteInventoryAndSecretsAsync).ConfigureAwait(false);
        total.Stop();
        _logger.LogInformation("Lab is up in {Seconds:0.0} s: {Hosts}; inventory {Inventory}", total.Elapsed.TotalSeconds,
            string.Join(", ", LabTopology.Hosts.Select(h => $"{h.Name} {h.Address}")), InventoryFile);
        return new LabUpResult(false, total.Elapsed, installed, steps, InventoryFile);
    }

    /// <summary>SSH coordinates of a lab host for one of the lab accounts.</summary>
    public SshTarget Target(string host, string user) => new()
    {
        HostName = LabTopology.Host(host).Name,
        Address = LabTopology.Host(host).Address,
        User = user,
        KeyFile = KeyFile(user),
        KnownHostsFile = KnownHostsFile,
    };

    private async Task CreateAccountsAsync()
    {
        foreach (var user in LabTopology.Users)
        {
            if ((await _local.TryAsync("id", "-u", user).ConfigureAwait(false)).Succeeded) continue;
            // -M: every host bind-mounts its own /home, so the machine gets no home directory.
            await _local.RunAsync("useradd", "-M", "-d", "/home/" + user, "-s", "/bin/bash", "-U", user).ConfigureAwait(false);
            _state.RecordCreatedUser(user);
        }
        // sudo ignores sudoers.d names containing a dot, so validate under a .tmp name, then rename.
        var temp = LabTopology.SudoersFile + ".tmp";
        await File.WriteAllTextAsync(temp, $"{LabTopology.AdminUser} ALL=(ALL:ALL) NOPASSWD: ALL\n").ConfigureAwait(false);
        File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.GroupRead);
        await _local.RunAsync("visudo", "-qcf", temp).ConfigureAwait(false);
        File.Move(temp, LabTopology.SudoersFile, overwrite: true);
    }

    private async Task CreateBastionKeysAsync()
    {
        Directory.CreateDirectory(_state.BastionDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        foreach (var user in LabTopology.Users)
            await NewKeyAsync(KeyFile(user), $"{user}@pgha-lab-bastion").ConfigureAwait(false);
    }

    private async Task NewKeyAsync(string file, string comment)
    {
        File.Delete(file);
        File.Delete(file + ".pub");
        await _local.RunAsync("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", file).ConfigureAwait(false);
    }

    private static readonly HashSet<string> CopiedFromMachine =
        ["etc-pgbouncer", "etc-cron.d", "etc-postgresql-common", "etc-default", "etc-skytools", "etc-pgqd.ini"];

    private static readonly HashSet<string> Optional =
        ["etc-cron.d", "etc-postgresql-common", "etc-default", "etc-skytools", "etc-pgqd.ini", "etc-hostname"];

    private async Task PrepareHostFilesAsync()
    {
        await Task.WhenAll(LabTopology.Hosts.Select(PrepareHostTreeAsync)).ConfigureAwait(false);

        // Host keys and silkcloud keys exist now: pin them and let silkcloud go from any host to any host.
        var knownHosts = new StringBuilder();
        var fingerprints = new StringBuilder();
        var silkcloudKeys = new StringBuilder(await File.ReadAllTextAsync(KeyFile(LabTopology.DeployUser) + ".pub").ConfigureAwait(false));
        foreach (var host in LabTopology.Hosts)
        {
            var dir = _state.HostDir(host.Name);
            var pub = (await File.ReadAllTextAsync(Path.Combine(dir, "etc-ssh", "ssh_host_ed25519_key.pub")).ConfigureAwait(false)).Split(' ');
            knownHosts.Append($"{host.Name},{host.Address} {pub[0]} {pub[1]}\n");
            fingerprints.Append($"{host.Name} {host.Address} {KnownHosts.Fingerprint(Convert.FromBase64String(pub[1]))}\n");
            silkcloudKeys.Append(await File.ReadAllTextAsync(Path.Combine(dir, "home", LabTopology.DeployUser, ".ssh", "id_ed25519.pub")).ConfigureAwait(false));
        }
        await File.WriteAllTextAsync(KnownHostsFile, knownHosts.ToString()).ConfigureAwait(false);
        await File.WriteAllTextAsync(_state.FingerprintsFile, fingerprints.ToString()).ConfigureAwait(false);
        foreach (var host in LabTopology.Hosts)
        {
            var dir = _state.HostDir(host.Name);
            await File.WriteAllTextAsync(Path.Combine(dir, "etc-ssh", "ssh_known_hosts"), knownHosts.ToString()).ConfigureAwait(false);
            var authorized = Path.Combine(dir, "home", LabTopology.DeployUser, ".ssh", "authorized_keys");
            await File.WriteAllTextAsync(authorized, silkcloudKeys.ToString()).ConfigureAwait(false);
            await _local.RunAsync("chown", $"{LabTopology.DeployUser}:{LabTopology.DeployUser}", authorized).ConfigureAwait(false);
            File.SetUnixFileMode(authorized, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    private async Task PrepareHostTreeAsync(LabHost host)
    {
        var dir = _state.HostDir(host.Name);
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        Directory.CreateDirectory(dir);
        string D(string name) => Path.Combine(dir, name);

        // Owned the way a fresh Debian install owns them.
        await _local.RunAsync("install", "-d", "-o", "postgres", "-g", "postgres", "-m", "0755", D("var-lib-postgresql"), D("etc-postgresql")).ConfigureAwait(false);
        await _local.RunAsync("install", "-d", "-o", "postgres", "-g", "postgres", "-m", "2775", D("var-run-postgresql")).ConfigureAwait(false);
        await _local.RunAsync("install", "-d", "-o", "root", "-g", "postgres", "-m", "1775", D("var-log-postgresql")).ConfigureAwait(false);
        await _local.RunAsync("install", "-d", "-m", "1777", D("tmp"), D("var-tmp")).ConfigureAwait(false);
        await _local.RunAsync("install", "-d", "-m", "0755", D("home"), D("etc-ssh"), D("var-spool-cron")).ConfigureAwait(false);
        await _local.RunAsync("install", "-d", "-o", "root", "-g", "crontab", "-m", "1730", Path.Combine(D("var-spool-cron"), "crontabs")).ConfigureAwait(false);

        foreach (var (folder, mountPoint) in LabTopology.PrivateDirectories.Where(p => CopiedFromMachine.Contains(p.Folder)))
        {
            if (Directory.Exists(mountPoint))
            {
                Directory.CreateDirectory(D(folder));
                await _local.RunAsync("cp", "-a", mountPoint + "/.", D(folder) + "/").ConfigureAwait(false);
                await _local.RunAsync("chown", "--reference=" + mountPoint, D(folder)).ConfigureAwait(false);
                await _local.RunAsync("chmod", "--reference=" + mountPoint, D(folder)).ConfigureAwait(false);
            }
            else if (File.Exists(mountPoint))
                await _local.RunAsync("cp", "-a", mountPoint, D(folder)).ConfigureAwait(false);
        }

        // Own sshd: own host key and config; the machine's host keys are not copied.
        foreach (var shared in new[] { "moduli", "ssh_config", "ssh_config.d" })
            if (Path.Exists("/etc/ssh/" + shared))
                await _local.RunAsync("cp", "-a", "/etc/ssh/" + shared, D("etc-ssh") + "/").ConfigureAwait(false);
        await NewKeyAsync(Path.Combine(D("etc-ssh"), "ssh_host_ed25519_key"), "root@" + host.Name).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(D("etc-ssh"), "sshd_config"), SshdConfig(host)).ConfigureAwait(false);

        await File.WriteAllTextAsync(D("etc-hosts"), "127.0.0.1 localhost\n" + LabTopology.BastionAddress + " bastion\n" +
            string.Concat(LabTopology.Hosts.Select(h => $"{h.Address} {h.Name}\n"))).ConfigureAwait(false);
        await File.WriteAllTextAsync(D("etc-hostname"), host.Name + "\n").ConfigureAwait(false);
        // No name server: nothing resolves, so nothing leaves the lab (hosts also have no default route).
        await File.WriteAllTextAsync(D("etc-resolv.conf"), "# pgha lab host: no name server on purpose\n").ConfigureAwait(false);

        foreach (var user in LabTopology.Users)
        {
            var home = Path.Combine(D("home"), user);
            var ssh = Path.Combine(home, ".ssh");
            Directory.CreateDirectory(ssh);
            await _local.RunAsync("cp", "-a", "/etc/skel/.", home + "/").ConfigureAwait(false);
            await File.WriteAllTextAsync(Path.Combine(ssh, "authorized_keys"),
                await File.ReadAllTextAsync(KeyFile(user) + ".pub").ConfigureAwait(false)).ConfigureAwait(false);
            if (user == LabTopology.DeployUser)
                await NewKeyAsync(Path.Combine(ssh, "id_ed25519"), $"{user}@{host.Name}").ConfigureAwait(false);
            await _local.RunAsync("chown", "-R", $"{user}:{user}", home).ConfigureAwait(false);
            await _local.RunAsync("chmod", "0750", home).ConfigureAwait(false);
            await _local.RunAsync("chmod", "-R", "go-rwx", ssh).ConfigureAwait(false);
        }

        var binds = new StringBuilder();
        foreach (var (folder, mountPoint) in LabTopology.PrivateDirectories)
        {
            var source = D(folder);
            var sourceExists = Path.Exists(source);
            var targetExists = mountPoint == "/run/postgresql" || Path.Exists(mountPoint);
            if (sourceExists && targetExists) binds.Append(source).Append('\t').Append(mountPoint).Append('\n');
            else if (!Optional.Contains(folder))
                throw new LabException($"Cannot give {host.Name} a private {mountPoint}: " +
                                       (targetExists ? $"{source} is missing" : $"{mountPoint} does not exist on this machine (is its package installed?)"));
        }
        await File.WriteAllTextAsync(D("binds"), binds.ToString()).ConfigureAwait(false);
    }

    private static string SshdConfig(LabHost host) => $"""
        # sshd of lab host {host.Name}, written by PgHa.Lab
        ListenAddress {host.Address}
        HostKey /etc/ssh/ssh_host_ed25519_key
        PidFile /run/sshd.pid
        UsePAM yes
        PubkeyAuthentication yes
        PasswordAuthentication no
        KbdInteractiveAuthentication no
        PermitRootLogin no
        AllowUsers {LabTopology.AdminUser} {LabTopology.DeployUser}
        UseDNS no
        MaxStartups 100:30:200
        MaxSessions 100
        X11Forwarding no
        PrintMotd no
        AcceptEnv LANG LC_*
        Subsystem sftp /usr/lib/openssh/sftp-server

        """;

    private async Task CreateNetworkAsync()
    {
        const string bridge = LabTopology.Bridge;
        await _local.RunAsync("ip", "link", "add", bridge, "type", "bridge").ConfigureAwait(false);
        await _local.RunAsync("ip", "addr", "add", $"{LabTopology.BastionAddress}/{LabTopology.PrefixLength}", "dev", bridge).ConfigureAwait(false);
        await DisableIpv6Async(null, bridge).ConfigureAwait(false);
        await _local.RunAsync("ip", "link", "set", bridge, "up").ConfigureAwait(false);
        foreach (var host in LabTopology.Hosts)
        {
            await _local.RunAsync("ip", "netns", "add", host.Name).ConfigureAwait(false);
            await _local.RunAsync("ip", "link", "add", host.Link, "type", "veth", "peer", "name", "eth0", "netns", host.Name).ConfigureAwait(false);
            await DisableIpv6Async(null, host.Link).ConfigureAwait(false);
            await _local.RunAsync("ip", "link", "set", host.Link, "master", bridge, "up").ConfigureAwait(false);
            await DisableIpv6Async(host.Name, "eth0").ConfigureAwait(false);
            await _local.RunAsync("ip", "-n", host.Name, "addr", "add", $"{host.Address}/{LabTopology.PrefixLength}", "dev", "eth0").ConfigureAwait(false);
            // lo is down in a new netns; without it 127.0.0.1 (pgbouncer → local postgres) fails. No default route on purpose.
            await _local.RunAsync("ip", "-n", host.Name, "link", "set", "lo", "up").ConfigureAwait(false);
            await _local.RunAsync("ip", "-n", host.Name, "link", "set", "eth0", "up").ConfigureAwait(false);
        }
    }

    private async Task DisableIpv6Async(string? netns, string device)
    {
        var path = $"/proc/sys/net/ipv6/conf/{device}/disable_ipv6";
        if (netns is null)
        {
            if (File.Exists(path)) await File.WriteAllTextAsync(path, "1").ConfigureAwait(false);
            return;
        }
        await _local.RunAsync("ip", ["netns", "exec", netns, "sh", "-c", $"[ ! -e {path} ] || echo 1 > {path}"]).ConfigureAwait(false);
    }

    private async Task StartHostsAsync()
    {
        await using (var script = Assembly.GetExecutingAssembly().GetManifestResourceStream("PgHa.Lab.host-init.sh")
                                  ?? throw new LabException("host-init.sh is missing from the PgHa.Lab assembly"))
        await using (var file = File.Create(_state.HostInitScript))
            await script.CopyToAsync(file).ConfigureAwait(false);

        foreach (var host in LabTopology.Hosts)
        {
            Directory.CreateDirectory(_state.HostStateDir(host.Name));
            // setsid -f: the host outlives this process (the CLI exits after `lab up`); its pids are recorded below.
            await _local.RunAsync("/bin/sh",
                ["-c", "exec setsid -f ip netns exec \"$1\" unshare --mount --uts --ipc --pid --fork --kill-child --mount-proc " +
                       "--propagation private /bin/sh \"$2\" \"$1\" \"$3\" </dev/null >>\"$4\" 2>&1",
                 "host-start", host.Name, _state.HostInitScript, _state.HostDir(host.Name), _state.InitLog(host.Name)],
                true, null, new Dictionary<string, string> { ["LAB_CRON"] = Options.StartCron ? "1" : "0" }).ConfigureAwait(false);
        }
        await Task.WhenAll(LabTopology.Hosts.Select(WaitForHostAsync)).ConfigureAwait(false);
    }

    private async Task WaitForHostAsync(LabHost host)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < Options.HostStartTimeout)
        {
            var init = await FindInitAsync(host.Name).ConfigureAwait(false);
            if (init is not null && await SshdAnswersAsync(host.Address, TimeSpan.FromSeconds(1)).ConfigureAwait(false))
            {
                _state.Save(new LabHostProcess(host.Name, init.Pid, init.ParentPid,
                    LinuxProcesses.Namespace(init.Pid, "net") ?? 0, LinuxProcesses.Namespace(init.Pid, "pid") ?? 0,
                    LinuxProcesses.Namespace(init.Pid, "mnt") ?? 0));
                _logger.LogInformation("Host {Host} is up: init pid {Pid}, sshd on {Address}:22", host.Name, init.Pid, host.Address);
                return;
            }
            await Task.Delay(150).ConfigureAwait(false);
        }
        var log = File.Exists(_state.InitLog(host.Name)) ? await File.ReadAllTextAsync(_state.InitLog(host.Name)).ConfigureAwait(false) : "(no log)";
        throw new LabException($"Host {host.Name} did not come up within {Options.HostStartTimeout.TotalSeconds} s. " +
                               $"Its init log ({_state.InitLog(host.Name)}) says:\n{string.Join('\n', log.Split('\n').TakeLast(20))}");
    }

    // The namespace init is the process in the host's netns whose pid inside its own pid namespace is 1.
    private async Task<ProcessInfo?> FindInitAsync(string host)
    {
        var pids = await _local.RunAsync("ip", ["netns", "pids", host], check: false).ConfigureAwait(false);
        foreach (var line in pids.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            if (int.TryParse(line, out var pid) && LinuxProcesses.Read(pid) is { NamespacePids: [_, 1] } init)
                return init;
        return null;
    }

    private async Task SmokeTestAsync()
    {
        using var pool = new SshConnectionPool(new SecretRedactor(), _loggerFactory);
        await Task.WhenAll(LabTopology.Hosts.Select(async host =>
        {
            var silkcloud = pool.Host(Target(host.Name, LabTopology.DeployUser));
            var view = await silkcloud.ReadAsync(RemoteCommand.Bash("echo \"$(hostname) $(id -un) $(findmnt -no SOURCE /var/lib/postgresql)\""))
                .ConfigureAwait(false);
            if (!view.StartsWith($"{host.Name} {LabTopology.DeployUser} ", StringComparison.Ordinal) ||
                !view.Contains($"hosts/{host.Name}/var-lib-postgresql", StringComparison.Ordinal))
                throw new LabException($"SSH to {host.Address} does not show {host.Name}'s private /var/lib/postgresql: '{view}'");
            await pool.Host(Target(host.Name, LabTopology.AdminUser)).ReadAsync(new RemoteCommand { Program = "true", Sudo = true }).ConfigureAwait(false);
            var denied = await silkcloud.RunAsync(new RemoteCommand { Program = "true", Sudo = true, ThrowOnFailure = false }).ConfigureAwait(false);
            if (denied.Succeeded) throw new LabException($"{LabTopology.DeployUser} can sudo on {host.Name}; it must not.");
        })).ConfigureAwait(false);
    }

    private async Task WriteInventoryAndSecretsAsync()
    {
        var roles = LabTopology.Hosts.ToDictionary(h => h.Role, h => h.Name);
        var inventory = new ClusterInventory
        {
            Id = "lab",
            Name = "Local PGHA lab",
            Hosts = LabTopology.Hosts.Select(h => new ClusterHost { Name = h.Name, Address = h.Address }).ToList(),
            Roles = KeptRoles() ?? roles,
            Accounts = new ClusterAccounts
            {
                Admin = new ClusterAccount { User = LabTopology.AdminUser, KeyFile = KeyFile(LabTopology.AdminUser) },
                Deploy = new ClusterAccount { User = LabTopology.DeployUser, KeyFile = KeyFile(LabTopology.DeployUser) },
            },
            KnownHostsFile = KnownHostsFile,
            Databases = ["appdb"],
            Secrets = SecretNames,
            Settings = new Dictionary<string, string> { ["labDirectory"] = LabDirectory },
        };
        await File.WriteAllTextAsync(InventoryFile, inventory.ToJson()).ConfigureAwait(false);

        // Roles a failover handed over (written back by 'pgha up') survive the rewrite when they still name the lab's hosts.
        IReadOnlyDictionary<string, string>? KeptRoles()
        {
            try
            {
                var kept = File.Exists(InventoryFile) ? ClusterInventory.FromJson(File.ReadAllText(InventoryFile)).Roles : null;
                return kept is not null && kept.Keys.Order().SequenceEqual(roles.Keys.Order()) && kept.Values.Order().SequenceEqual(roles.Values.Order()) ? kept : null;
            }
            catch (System.Text.Json.JsonException) { return null; }
        }

        var values = SecretNames.Values.ToDictionary(name => name,
            _ => RandomNumberGenerator.GetString("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789", 32));
        File.Delete(SecretsFile);
        // Created 0600 from the first byte, never briefly world-readable.
        await using var stream = new FileStream(SecretsFile, new FileStreamOptions
        {
            Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        await JsonSerializer.SerializeAsync(stream, values, new JsonSerializerOptions { WriteIndented = true }).ConfigureAwait(false);
    }
}
