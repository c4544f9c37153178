using System.Diagnostics;
using PgHa.Remote;
using Xunit.Abstractions;

namespace PgHa.Lab.Tests;

[Collection("lab")]
public sealed class FaultTests(LabFixture lab, ITestOutputHelper output)
{
    /// <summary>pgha-slave as silkcloud, giving up on a connection after 4 s instead of the default 10 s.</summary>
    private RemoteHost SlaveWithShortConnectTimeout(SshConnectionPool pool)
    {
        var target = lab.Lab.Target("pgha-slave", "silkcloud");
        return pool.Host(new SshTarget { HostName = target.HostName, Address = target.Address, User = target.User, KeyFile = target.KeyFile,
            KnownHostsFile = target.KnownHostsFile, ConnectTimeout = TimeSpan.FromSeconds(4) });
    }

    [Fact]
    public async Task A_host_with_its_link_cut_is_reported_unreachable()
    {
        await lab.Lab.CutLinkAsync("pgha-slave");
        try
        {
            using var pool = new SshConnectionPool(lab.Redactor, lab.Logs);
            var clock = Stopwatch.StartNew();
            var unreachable = await Assert.ThrowsAsync<HostUnreachableException>(() => SlaveWithShortConnectTimeout(pool).RunAsync(RemoteCommand.Run("true")));
            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: {unreachable.Message}");
            Assert.Equal("pgha-slave", unreachable.Host);
            Assert.Equal("10.77.0.12", unreachable.Address);
            Assert.Equal(22, unreachable.Port);
            Assert.Contains("pgha-slave (10.77.0.12:22)", unreachable.Message);
        }
        finally
        {
            await lab.Lab.RestoreLinkAsync("pgha-slave");
        }
        Assert.Equal("pgha-slave", await lab.Host("pgha-slave", "silkcloud").ReadAsync(RemoteCommand.Run("hostname")));
    }

    [Fact]
    public async Task A_pooled_connection_whose_link_was_cut_while_idle_is_reported_unreachable_within_seconds()
    {
        using var pool = new SshConnectionPool(lab.Redactor, lab.Logs);
        var host = SlaveWithShortConnectTimeout(pool);
        Assert.Equal("pgha-slave", await host.ReadAsync(RemoteCommand.Run("hostname")));

        await lab.Lab.CutLinkAsync("pgha-slave");
        try
        {
            // The pooled connection still looks open, but nothing answers any more: the command's channel never opens.
            var clock = Stopwatch.StartNew();
            var unreachable = await Assert.ThrowsAsync<HostUnreachableException>(() => host.RunAsync(RemoteCommand.Run("true") with { Timeout = TimeSpan.FromSeconds(120) }));
            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: {unreachable.Message}");
            Assert.Equal("pgha-slave", unreachable.Host);
            Assert.Contains("no answer within 4 s", unreachable.Message); // the fresh connection's verdict, not the 120 s command timeout
        }
        finally
        {
            await lab.Lab.RestoreLinkAsync("pgha-slave");
        }
        // The dead connection was dropped from the pool: the next command opens a new one.
        Assert.Equal("pgha-slave", await host.ReadAsync(RemoteCommand.Run("hostname")));
    }

    [Fact]
    public async Task A_link_cut_during_a_command_is_reported_unreachable_and_the_hosts_own_timeout_ends_the_command()
    {
        using var pool = new SshConnectionPool(lab.Redactor, lab.Logs);
        var host = SlaveWithShortConnectTimeout(pool);
        var marker = $"pgha-cut-{Guid.NewGuid():N}";
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = host.RunAsync(RemoteCommand.Bash($"echo started; exec -a {marker} sleep 300") with { Timeout = TimeSpan.FromSeconds(5) },
            line => { if (line.Text == "started") started.TrySetResult(); });
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));

        await lab.Lab.CutLinkAsync("pgha-slave");
        try
        {
            var clock = Stopwatch.StartNew();
            var lost = await Assert.ThrowsAsync<HostUnreachableException>(() => running);
            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s after the cut: {lost.Message}");
            Assert.Equal("pgha-slave", lost.Host);
            Assert.Contains("no answer while running a command", lost.Message);
        }
        finally
        {
            await lab.Lab.RestoreLinkAsync("pgha-slave");
        }
        // The command the link cut away from was ended on the host by its own timeout.
        var left = await lab.Host("pgha-slave", "silkcloud").RunAsync(RemoteCommand.Run("pgrep", "-f", marker) with { ThrowOnFailure = false });
        Assert.Equal(1, left.ExitCode); // pgrep: no process matched
    }

    [Fact]
    public async Task A_host_with_sshd_stopped_is_reported_unreachable_and_pooled_connections_reopen_after_it_returns()
    {
        var pooled = lab.Host("pgha-replica", "devops");
        Assert.Equal("pgha-replica", await pooled.ReadAsync(RemoteCommand.Run("hostname")));

        await lab.Lab.StopSshdAsync("pgha-replica", dropSessions: true);
        try
        {
            using var fresh = new SshConnectionPool(lab.Redactor, lab.Logs);
            var refused = await Assert.ThrowsAsync<HostUnreachableException>(() =>
                fresh.Host(lab.Lab.Target("pgha-replica", "silkcloud")).RunAsync(RemoteCommand.Run("true")));
            output.WriteLine(refused.Message);
            Assert.Contains("ConnectionRefused", refused.Message);
            Assert.Equal("10.77.0.13", refused.Address);
        }
        finally
        {
            await lab.Lab.StartSshdAsync("pgha-replica");
        }
        // The pooled connection was dropped by the server; the pool notices and opens a new one.
        Assert.Equal("pgha-replica", await pooled.ReadAsync(RemoteCommand.Run("hostname")));
    }

    [Fact]
    public async Task Killing_a_hosts_postgres_leaves_no_postmaster_running()
    {
        var silkcloud = lab.Host("pgha-replica", "silkcloud");
        await lab.Host("pgha-replica", "devops").RunAsync(new RemoteCommand
        {
            Program = "chown", Arguments = ["-R", "silkcloud:", "/var/lib/postgresql", "/var/run/postgresql", "/var/log/postgresql"], Sudo = true,
        });
        await silkcloud.RunAsync(new RemoteCommand
        {
            Script = """
                set -e
                bin=/usr/lib/postgresql/15/bin
                rm -rf /var/lib/postgresql/15/faulttest
                $bin/initdb -D /var/lib/postgresql/15/faulttest --auth-local=peer -E UTF8 --locale=C.UTF-8 >/dev/null
                echo "listen_addresses = '127.0.0.1'" >> /var/lib/postgresql/15/faulttest/postgresql.conf
                $bin/pg_ctl -D /var/lib/postgresql/15/faulttest -l /var/log/postgresql/faulttest.log -w start
                """,
            Timeout = TimeSpan.FromMinutes(2),
        });
        Assert.Equal(1, (await lab.Lab.StatusAsync()).Hosts.Single(h => h.Name == "pgha-replica").PostgresRunning);

        var hit = await lab.Lab.KillPostgresAsync("pgha-replica");

        Assert.Equal(["/var/lib/postgresql/15/faulttest"], hit);
        Assert.Equal(0, (await lab.Lab.StatusAsync()).Hosts.Single(h => h.Name == "pgha-replica").PostgresRunning);
        var status = await silkcloud.RunAsync(new RemoteCommand { Program = "/usr/lib/postgresql/15/bin/pg_ctl", Arguments = ["-D", "/var/lib/postgresql/15/faulttest", "status"], ThrowOnFailure = false });
        Assert.Equal(3, status.ExitCode); // "no server running"
        // Like after a crash, the pid file is still there and a restart recovers; it stays up so teardown must stop it politely.
        await silkcloud.RunAsync(RemoteCommand.Run("/usr/lib/postgresql/15/bin/pg_ctl", "-D", "/var/lib/postgresql/15/faulttest", "-l", "/var/log/postgresql/faulttest.log", "-w", "start"));
        Assert.Equal(1, (await lab.Lab.StatusAsync()).Hosts.Single(h => h.Name == "pgha-replica").PostgresRunning);
    }
}
