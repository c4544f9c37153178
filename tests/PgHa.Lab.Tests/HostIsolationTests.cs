using PgHa.Remote;

namespace PgHa.Lab.Tests;

[Collection("lab")]
public sealed class HostIsolationTests(LabFixture lab)
{
    private static readonly string[] PrivateDirectories = ["/var/run/postgresql", "/var/lib/postgresql", "/etc/pgbouncer", "/home/silkcloud", "/home/devops"];

    [Fact]
    public async Task Each_host_sees_only_its_own_postgres_pgbouncer_and_home_directories()
    {
        var marker = ".pgha-isolation-" + Guid.NewGuid().ToString("N")[..8];
        var hosts = LabTopology.Hosts.Select(h => h.Name).ToList();
        foreach (var host in hosts)
            await lab.Host(host, "devops").RunAsync(new RemoteCommand
            {
                Program = "sh", Arguments = ["-c", "for d in \"$@\"; do hostname > \"$d/$0\"; done", marker, .. PrivateDirectories], Sudo = true,
            });

        foreach (var host in hosts)
        {
            var seen = await lab.Host(host, "devops").ReadAsync(new RemoteCommand
            {
                Program = "sh", Arguments = ["-c", "for d in \"$@\"; do echo \"$d: $(cat \"$d/$0\")\"; done", marker, .. PrivateDirectories], Sudo = true,
            });
            Assert.Equal(string.Join('\n', PrivateDirectories.Select(d => $"{d}: {host}")), seen);
        }

        // And the machine itself (the bastion) sees none of them.
        foreach (var dir in PrivateDirectories)
            Assert.False(File.Exists(Path.Combine(dir, marker)), $"{dir}/{marker} leaked to the machine");
    }

    [Fact]
    public async Task Hosts_reach_each_other_by_name_but_nothing_outside_the_lab()
    {
        var view = await lab.Host("pgha-master", "silkcloud").ReadAsync(RemoteCommand.Bash(
            "getent hosts pgha-slave | awk '{print $1}'; ip route | grep -c default || true"));
        Assert.Equal("10.77.0.12\n0", view);
        // silkcloud goes host to host with pinned keys (rsync, pg_rewind in the runbooks).
        Assert.Equal("pgha-slave", await lab.Host("pgha-master", "silkcloud").ReadAsync(
            RemoteCommand.Run("ssh", "-n", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "pgha-slave", "hostname")));
    }
}
