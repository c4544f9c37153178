using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using PgHa.Remote;
using PgHa.Workflows.Runtime;
using PgHa.Workflows.Store.Entities;
using Xunit.Abstractions;

namespace PgHa.Activities.Tests;

/// <summary>
/// Planned failover refuses a cluster that is not fit for it, and changes nothing: a slave lagging beyond maxLagBytes,
/// an inventory whose roles contradict the live ones, a slave that does not stream or is stopped, and a cluster another run holds.
/// Each case breaks the cluster the way a DBA might find it, reads every host's state (<see cref="HostState"/>: files,
/// processes, recovery, timeline, postmaster start, replay pause, WAL senders, pgbouncer routes and whether it serves),
/// runs the runbook, and compares: the run stops at the preflight (or is refused at start) naming the host and the
/// fact, and every host is as it was. Each fault is undone and the cluster is left as it was found.
/// </summary>
[Collection(LabCollection.Name)]
public sealed class PlannedFailoverRefusalsOnTheLabTests(LabDeploymentFixture lab, ITestOutputHelper output) : IClassFixture<LabDeploymentFixture>
{
    private const string Runbook = "planned-failover";
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);

    private string MasterName => lab.Inventory.Roles["master"];
    private string SlaveName => lab.Inventory.Roles["slave"];
    private string SlaveAddress => lab.Inventory.HostForRole("slave")!.Address;

    private void Log(string line)
    {
        output.WriteLine(line);
        Console.WriteLine(line);
    }

    [Fact]
    public async Task A_slave_whose_replay_lags_beyond_maxLagBytes_is_refused_at_the_preflight_and_nothing_changes()
    {
        var found = await ClusterAsFoundAsync();
        await using (await ReplayPausedWithWalPendingAsync(megabytes: 8))
        {
            var lag = long.Parse(await lab.PsqlAsync("master", $"SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint FROM pg_stat_replication WHERE host(client_addr) = '{SlaveAddress}'"));
            Assert.True(lag > 4 << 20, $"the slave's replay lag is only {lag} bytes; the fault did not take");

            var error = await RefusedAtPreflightAsync(new() { ["maxLagBytes"] = JsonSerializer.SerializeToElement(1 << 20) });
            Assert.Contains($"{SlaveName}) replay lag is ", error);
            Assert.Contains($"bytes on master ({MasterName}), allowed {1 << 20}", error);
        }
        await AssertAsFoundAsync(found);
    }

    [Fact]
    public async Task An_inventory_that_swaps_master_and_slave_is_refused_at_the_preflight_and_nothing_changes()
    {
        var found = await ClusterAsFoundAsync();
        await using (await RolesSwappedInTheInventoryAsync())
        {
            var error = await RefusedAtPreflightAsync();
            // The stored "master" is the live standby and the stored "slave" the live primary.
            Assert.Contains($"master ({SlaveName}) is in recovery (a standby), expected primary", error);
            Assert.Contains($"slave ({MasterName}) is not in recovery (a primary), expected standby", error);
        }
        await AssertAsFoundAsync(found);
    }

    [Fact]
    public async Task A_slave_that_does_not_stream_is_refused_at_the_preflight_and_nothing_changes()
    {
        var found = await ClusterAsFoundAsync();
        await using (await SlaveCannotReachItsPrimaryAsync())
        {
            var error = await RefusedAtPreflightAsync();
            Assert.Contains($"slave ({SlaveName}) WAL receiver is ", error);
            Assert.Contains($"slave ({SlaveName}) ({SlaveAddress}) has no WAL sender on master ({MasterName})", error);
        }
        await AssertAsFoundAsync(found);
    }

    [Fact]
    public async Task A_slave_whose_postgres_is_stopped_is_refused_at_the_preflight_and_nothing_is_started()
    {
        var found = await ClusterAsFoundAsync();
        await using (await SlaveStoppedAsync())
        {
            var error = await RefusedAtPreflightAsync();
            Assert.Contains($"slave ({SlaveName}) is not reachable (", error);
            Assert.Contains("expected standby", error);
        }
        // The test started the slave again, so its postmaster (start time, postmaster.pid) is new; the rest is as found.
        await AssertAsFoundAsync(found, except: line => line.Contains("postmaster", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_second_failover_while_one_holds_the_cluster_is_refused_naming_that_run_and_nothing_changes()
    {
        var found = await ClusterAsFoundAsync();
        var approver = new Decider("e2e-approver", ["approver"]);

        // Several at once on a free cluster: exactly one is accepted, the others are told which run holds it.
        var starts = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => TryStartAsync()));
        var accepted = Assert.Single(starts, s => s.Run is not null).Run!;
        var holder = accepted.Run.RunId;
        foreach (var refusal in starts.Where(s => s.Run is null))
            AssertBusyWith(holder, refusal.Error!);

        var waiting = await lab.WaitForAsync(holder, RunTimeout, r => RunStatus.IsFinished(r.Run.Status) || r.Run.WaitingForApproval);
        Assert.True(waiting.Run.WaitingForApproval, "the accepted run should wait at its approval: " + LabDeploymentFixture.JournalText(waiting));

        // While it waits for its approval: one more, then several at once; all refused.
        AssertBusyWith(holder, (await TryStartAsync()).Error!);
        foreach (var later in await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => TryStartAsync())))
            AssertBusyWith(holder, later.Error!);

        await lab.Runtime.DecideAsync(holder, "approve", ApprovalChoice.Reject, approver, "refusal test: not now");
        var rejected = await lab.WaitForAsync(holder, RunTimeout);
        Assert.Equal(RunStatus.Failed, rejected.Run.Status);
        Assert.Equal(new[] { "preflight", "approve", "rejected" }, rejected.Journal.Select(j => j.NodeId).Distinct());

        // The cluster is free again once the holder ended: the next start is accepted; cancelled at its approval.
        var next = (await TryStartAsync()).Run;
        Assert.True(next is not null, "a start after the holder ended was refused");
        await lab.WaitForAsync(next.Run.RunId, RunTimeout, r => RunStatus.IsFinished(r.Run.Status) || r.Run.WaitingForApproval);
        await lab.Runtime.CancelRunAsync(next.Run.RunId, "e2e");
        var cancelled = await lab.WaitForAsync(next.Run.RunId, RunTimeout);
        Assert.Equal(RunStatus.Cancelled, cancelled.Run.Status);
        Assert.Equal(new[] { "preflight", "approve" }, cancelled.Journal.Select(j => j.NodeId).Distinct());

        await AssertAsFoundAsync(found);
    }

    private static void AssertBusyWith(string holder, Exception error)
    {
        var conflict = Assert.IsType<ConflictException>(error);
        Assert.Contains($"cluster 'lab' is busy with run {holder} ({Runbook}, started by e2e)", conflict.Message);
    }

    private async Task<(RunView? Run, Exception? Error)> TryStartAsync()
    {
        try { return (await lab.StartAsync(Runbook), null); }
        catch (RuntimeRequestException e) { return (null, e); }
    }

    /// <summary>
    /// Runs planned-failover and expects it to fail at its preflight, leaving every host as the run found it; returns
    /// the preflight's error. Should the preflight pass, the approval is rejected (nothing is switched over) and the test fails.
    /// </summary>
    private async Task<string> RefusedAtPreflightAsync(Dictionary<string, JsonElement>? inputs = null)
    {
        var before = await lab.HostStateAsync();
        var clock = Stopwatch.StartNew();
        var started = await lab.StartAsync(Runbook, inputs: inputs);
        var run = await lab.WaitForAsync(started.Run.RunId, RunTimeout, r => RunStatus.IsFinished(r.Run.Status) || r.Run.WaitingForApproval);
        if (run.Run.WaitingForApproval)
        {
            await lab.Runtime.DecideAsync(run.Run.RunId, "approve", ApprovalChoice.Reject, new Decider("e2e-approver", ["approver"]), "the preflight should have refused");
            await lab.WaitForAsync(run.Run.RunId, RunTimeout);
            Assert.Fail("the preflight passed a cluster it should refuse:\n" + LabDeploymentFixture.JournalText(run));
        }
        var preflight = run.Nodes.Single(n => n.NodeId == "preflight");
        Log($"[refusal] {Runbook} {run.Run.Status} after {clock.Elapsed.TotalSeconds:0.0} s: {preflight.Error}");
        Assert.Equal(RunStatus.Failed, run.Run.Status);
        Assert.Equal("Failed", preflight.State);
        Assert.All(run.Journal, j => Assert.Equal("preflight", j.NodeId));
        await AssertAsFoundAsync(before);
        return preflight.Error!;
    }

    /// <summary>The deployed cluster's state; it must show what the comparisons rely on, or they would compare nothing.</summary>
    private async Task<IReadOnlyDictionary<string, string>> ClusterAsFoundAsync()
    {
        await lab.EnsureDeployedAsync();
        var found = await lab.HostStateAsync();
        var master = lab.Inventory.HostForRole("master")!.Address;
        Assert.Contains("in recovery f", found["master"]);
        Assert.Contains(found["master"].Split('\n'), l => l.StartsWith("wal sender ", StringComparison.Ordinal) && l.Contains($" {SlaveAddress} streaming", StringComparison.Ordinal));
        Assert.Contains("in recovery t", found["slave"]);
        Assert.Contains("replay not paused", found["slave"]);
        foreach (var bouncer in new[] { "master", "slave" })
        {
            Assert.Contains($"appdb|{master}|{lab.Inventory.Ports.Postgres}|appdb", found[bouncer]);
            Assert.Contains("serves appdb", found[bouncer]);
        }
        return found;
    }

    /// <summary>Every host as <paramref name="found"/>: nothing stopped, started, promoted, paused, re-pointed or rewritten.</summary>
    private async Task AssertAsFoundAsync(IReadOnlyDictionary<string, string> found, Func<string, bool>? except = null)
    {
        var now = await lab.HostStateAsync();
        foreach (var (host, before) in found)
        {
            var was = before.Split('\n').Where(l => except?.Invoke(l) != true).ToList();
            var isNow = now[host].Split('\n').Where(l => except?.Invoke(l) != true).ToList();
            Assert.True(was.SequenceEqual(isNow), $"{host} changed:\n- " + string.Join("\n- ", was.Except(isNow)) + "\n+ " + string.Join("\n+ ", isNow.Except(was)));
        }
    }

    // ---- faults, each undone on dispose ----

    /// <summary>Replay paused on the slave (pg_wal_replay_pause) while the master writes WAL: a real, growing replay lag.</summary>
    private async Task<IAsyncDisposable> ReplayPausedWithWalPendingAsync(int megabytes)
    {
        await lab.PsqlAsync("slave", "SELECT pg_wal_replay_pause()");
        var undo = new Undo(async () =>
        {
            await lab.PsqlAsync("slave", "SELECT pg_wal_replay_resume()");
            await lab.PsqlAsync("master", "DROP TABLE IF EXISTS refusal_lag");
            await SlaveHasReplayedAsync(await lab.PsqlAsync("master", "SELECT pg_current_wal_lsn()"));
        });
        await lab.PsqlAsync("master", $"CREATE TABLE refusal_lag AS SELECT g, repeat('x', 1000) AS pad FROM generate_series(1, {megabytes * 1000}) g");
        return undo;
    }

    /// <summary>The stored inventory says master and slave the other way round (as an import with replaceRoles could leave it).</summary>
    private async Task<IAsyncDisposable> RolesSwappedInTheInventoryAsync()
    {
        var file = await File.ReadAllTextAsync(lab.Lab.InventoryFile);
        var swapped = JsonNode.Parse(file)!;
        swapped["roles"]!["master"] = SlaveName;
        swapped["roles"]!["slave"] = MasterName;
        await lab.Clusters.ImportAsync(swapped.ToJsonString(), "e2e", replaceRoles: true);
        return new Undo(async () => await lab.Clusters.ImportAsync(file, "e2e", replaceRoles: true));
    }

    /// <summary>
    /// The slave stays up and in recovery, but its primary_conninfo points at a closed port: no WAL receiver streams
    /// and the master lists no WAL sender for it. Undone by putting postgresql.auto.conf back byte for byte.
    /// </summary>
    private async Task<IAsyncDisposable> SlaveCannotReachItsPrimaryAsync()
    {
        var autoConf = ShellQuoting.Quote(lab.Inventory.Paths.Data + "/postgresql.auto.conf");
        const string saved = "/tmp/pgha-e2e-refusal-auto.conf";
        var slave = lab.Host("slave");
        await slave.RunAsync(RemoteCommand.Bash($"cp -p {autoConf} {saved}"));
        var undo = new Undo(async () =>
        {
            await slave.RunAsync(RemoteCommand.Bash($"cp {saved} {autoConf} && rm -f {saved}"));
            await lab.PsqlAsync("slave", "SELECT pg_reload_conf()");
            await Eventually("the slave streams from the master again", TimeSpan.FromSeconds(90), () => SlaveStreamsAsync());
        });
        await lab.PsqlAsync("slave", "ALTER SYSTEM SET primary_conninfo = 'host=127.0.0.1 port=1 user=replicator connect_timeout=2'");
        await lab.PsqlAsync("slave", "SELECT pg_reload_conf()");
        await Eventually("the master lists no WAL sender for the slave", TimeSpan.FromSeconds(60), async () => !await SlaveStreamsAsync(anyState: true));
        return undo;
    }

    /// <summary>The slave's postgres stopped with pg_ctl (fast), as a DBA would for maintenance; started again and streaming on dispose.</summary>
    private async Task<IAsyncDisposable> SlaveStoppedAsync()
    {
        var env = ShellQuoting.Quote(lab.Inventory.Paths.Deployment + "/pgha.env");
        var slave = lab.Host("slave");
        await slave.RunAsync(RemoteCommand.Bash($". {env}; \"$PGBIN_PATH/pg_ctl\" -D \"$DATA_PATH\" -m fast -w -t 60 stop"));
        return new Undo(async () =>
        {
            await slave.RunAsync(RemoteCommand.Bash($". {env}; \"$PGBIN_PATH/pg_ctl\" -D \"$DATA_PATH\" -l \"$LOG_PATH/pgha-postgresql.log\" -w -t 120 start >/dev/null"));
            await Eventually("the slave streams from the master again", TimeSpan.FromSeconds(90), () => SlaveStreamsAsync());
        });
    }

    private async Task<bool> SlaveStreamsAsync(bool anyState = false) =>
        await lab.PsqlAsync("master", $"SELECT count(*) FROM pg_stat_replication WHERE host(client_addr) = '{SlaveAddress}'{(anyState ? "" : " AND state = 'streaming'")}") != "0";

    private Task SlaveHasReplayedAsync(string lsn) =>
        Eventually($"the slave has replayed {lsn}", TimeSpan.FromSeconds(90),
            async () => await lab.PsqlAsync("slave", $"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn") == "t");

    private static async Task Eventually(string what, TimeSpan timeout, Func<Task<bool>> check)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await check())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"not within {timeout.TotalSeconds} s: {what}");
            await Task.Delay(500);
        }
    }

    private sealed class Undo(Func<Task> undo) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await undo();
    }
}
