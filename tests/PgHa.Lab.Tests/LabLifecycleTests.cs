using static PgHa.Lab.Tests.LocalProgram;
using System.Diagnostics;
using Xunit.Abstractions;

namespace PgHa.Lab.Tests;

/// <summary>Its own collection: it brings a lab up and down by itself and checks, independently of the lab code, that nothing is left.</summary>
[Collection("lab lifecycle")]
public sealed class LabLifecycleTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Lab_down_after_lab_up_leaves_no_namespace_mount_bridge_process_or_user()
    {
        var logs = new CollectingLoggerFactory();
        var lab = new LocalLab(new LabOptions(), logs);
        await lab.EnsureMachineCanRunLabAsync();
        Assert.True((await lab.DownAsync()).Clean);
        var usersBefore = LabTopology.Users.Where(UserExists).ToList();

        var clock = Stopwatch.StartNew();
        var up = await lab.UpAsync();
        clock.Stop();
        var line = $"lifecycle bring-up {clock.Elapsed.TotalSeconds:0.00} s";
        output.WriteLine(line);
        Console.WriteLine("[lab] " + line);
        Assert.False(up.AlreadyUp);

        // Idempotent: a second up sees a healthy lab and does nothing.
        Assert.True((await lab.UpAsync()).AlreadyUp);
        var status = await lab.StatusAsync();
        Assert.True(status.Healthy, status.ToString());
        var inventory = PgHa.Clusters.ClusterInventory.FromJson(await File.ReadAllTextAsync(lab.InventoryFile));
        Assert.Equal("pgha-master", inventory.HostForRole("master")!.Name);
        Assert.Equal("10.77.0.13", inventory.HostForRole("replica")!.Address);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(lab.SecretsFile));

        var recorded = LabTopology.Hosts.Select(h => lab.HostProcess(h.Name)!).ToList();
        var inodes = recorded.Select(r => $"net:[{r.NetNamespace}]").ToHashSet();

        clock.Restart();
        var down = await lab.DownAsync();
        output.WriteLine($"teardown {clock.Elapsed.TotalSeconds:0.00} s: {down}");
        Assert.True(down.Clean, down.ToString());

        // Independent checks: /proc, ip netns, ip link, ip addr, passwd.
        foreach (var pid in Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(n => n!.All(char.IsAsciiDigit)))
        {
            var net = Try(() => new FileInfo($"/proc/{pid}/ns/net").LinkTarget);
            Assert.False(net is not null && inodes.Contains(net), $"process {pid} is still in a lab network namespace {net}");
            var mounts = Try(() => File.ReadAllText($"/proc/{pid}/mountinfo")) ?? "";
            Assert.DoesNotContain(lab.LabDirectory + "/hosts/", mounts);
            var cmdline = (Try(() => File.ReadAllText($"/proc/{pid}/cmdline")) ?? "").Replace('\0', ' ');
            Assert.False(cmdline.Contains(lab.LabDirectory, StringComparison.Ordinal) && !cmdline.Contains("dotnet", StringComparison.Ordinal),
                $"process {pid} still mentions the lab: {cmdline}");
        }
        foreach (var r in recorded) Assert.False(Directory.Exists($"/proc/{r.InitPid}") && Try(() => new FileInfo($"/proc/{r.InitPid}/ns/net").LinkTarget) == $"net:[{r.NetNamespace}]");
        Assert.DoesNotContain("pgha-", Run("ip", "netns", "list"));
        var links = Run("ip", "-o", "link", "show");
        Assert.DoesNotContain("pghabr0", links);
        Assert.DoesNotContain("vpgha-", links);
        Assert.DoesNotContain("10.77.0.", Run("ip", "-o", "addr", "show"));
        Assert.False(File.Exists(LabTopology.SudoersFile));
        foreach (var user in LabTopology.Users.Except(usersBefore)) Assert.False(UserExists(user), $"user {user} was left behind");
        Assert.False(Directory.Exists(Path.Combine(lab.LabDirectory, "hosts")));
    }

    private static bool UserExists(string user) => File.ReadLines("/etc/passwd").Any(l => l.StartsWith(user + ":", StringComparison.Ordinal));

    private static T? Try<T>(Func<T?> read) where T : class
    {
        try { return read(); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

}

[Collection("lab lifecycle")]
public sealed class HalfFailedBringUpTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Lab_down_cleans_up_after_a_bring_up_that_failed_with_hosts_started_but_not_recorded()
    {
        // A zero start timeout fails bring-up right after the hosts were launched, before their pids are recorded:
        // the case of a lab-up killed half way. Teardown must then find them through their network namespaces.
        var lab = new LocalLab(new LabOptions { HostStartTimeout = TimeSpan.Zero }, new CollectingLoggerFactory());
        await lab.EnsureMachineCanRunLabAsync();
        Assert.True((await lab.DownAsync()).Clean);

        var failed = await Assert.ThrowsAsync<LabException>(() => lab.UpAsync());
        output.WriteLine(failed.Message);
        Assert.Contains("did not come up", failed.Message);
        // The launched hosts get going, as they would have: each one's sshd runs inside its namespace.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!LabTopology.Hosts.All(h => SshdRunsIn(h.Name)))
        {
            Assert.True(DateTime.UtcNow < deadline, "the launched hosts' sshd did not start within 30 s");
            await Task.Delay(50);
        }
        Assert.All(LabTopology.Hosts, h => Assert.Null(lab.HostProcess(h.Name)));

        var down = await lab.DownAsync();
        Assert.True(down.Clean, down.ToString());
        Assert.DoesNotContain("pgha-", Run("ip", "netns", "list"));
        Assert.DoesNotContain("pghabr0", Run("ip", "-o", "link", "show"));
        foreach (var pid in Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(n => n!.All(char.IsAsciiDigit)))
        {
            string mounts;
            try { mounts = File.ReadAllText($"/proc/{pid}/mountinfo"); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
            Assert.DoesNotContain(lab.LabDirectory + "/hosts/", mounts);
        }
    }

    private static bool SshdRunsIn(string host) =>
        Run("ip", "netns", "pids", host).Split('\n', StringSplitOptions.RemoveEmptyEntries).Any(pid => CommandOf(pid.Trim()) == "sshd");

    // A process may end between listing and reading; it then runs nothing.
    private static string CommandOf(string pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/comm").Trim(); } catch (IOException) { return ""; }
    }
}
