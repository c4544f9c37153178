using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using PgHa.Clusters;
using PgHa.Remote;
using PgHa.Workflows.Clusters;
using PgHa.Workflows.Runtime;
using PgHa.Workflows.Store.Entities;
using Xunit.Abstractions;

namespace PgHa.Activities.Tests;

/// <summary>
/// The seed's "Unplanned Failover" section on real hosts, one deployment for the whole cycle, with one application
/// connection per pgbouncer committing a row every 10 ms throughout: (1) the slave breaks (postgres killed, data
/// directory deleted) and is rebuilt; (2) the master's postgres is SIGKILLed: evidence, approval, fence, promotion, the
/// old master rebuilt as the new slave; (3) the new master is cut off the network with its postgres still running (a
/// partition): the failover goes on with a pending fence that stops it as soon as its link is back. After every stage
/// a DBA's checks straight to the servers (psql over ssh, Npgsql): one writable server, every pgbouncer routes to it,
/// the standby streams, acknowledged rows are there (minus the async window, compared with the estimate).
/// </summary>
[Collection(LabCollection.Name)]
public sealed class UnplannedFailoverOnTheLabTests(LabDeploymentFixture lab, ITestOutputHelper output) : IClassFixture<LabDeploymentFixture>
{
    private void Log(string line)
    {
        output.WriteLine(line);
        Console.WriteLine(line);
    }

    private string Password => lab.Secret("appPassword");

    private NpgsqlConnection Connect(string address, int port = 5432) =>
        new(new NpgsqlConnectionStringBuilder
        {
            Host = address, Port = port, Database = "appdb", Username = "app", Password = Password,
            Pooling = false, Timeout = 5, CommandTimeout = 20,
        }.ConnectionString);

    private async Task<ClusterInventory> StoredInventoryAsync() =>
        (await lab.Services.GetRequiredService<ClusterDirectory>().GetAsync("lab"))!;

    private RemoteHost Ssh(string host, string user = "silkcloud") => lab.Pool.Host(lab.Lab.Target(host, user));

    private async Task<string> OnHostAsync(string host, string bash) => (await Ssh(host).ReadAsync(RemoteCommand.Bash(bash))).Trim();

    private Task<string> PsqlOnHostAsync(string host, string sql) =>
        OnHostAsync(host, $"psql -X -qAt -d appdb -c {ShellQuoting.Quote(sql)} 2>&1 || true");

    [Fact]
    public async Task Slave_broken_master_killed_and_master_partitioned_each_end_with_one_writable_server_and_a_streaming_standby()
    {
        await lab.EnsureDeployedAsync();
        foreach (var id in new[] { "unplanned-failover-slave-broken", "unplanned-failover-master-broken" })
            await lab.Runtime.Runbooks.SaveAsync(await File.ReadAllTextAsync(Path.Combine(RunbookFileTests.WorkflowsDirectory(), id + ".json")), "test", asNextVersion: false, published: true);
        var original = await StoredInventoryAsync();
        var address = original.Hosts.ToDictionary(h => h.Name, h => h.Address);
        await HeldConnectionWriter.CreateTableAsync(address[original.Roles["master"]], Password);

        // Refusals first, on the healthy cluster: nothing may change.
        var before = await lab.HostStateAsync();
        var refusedSlave = await RunToEndAsync("unplanned-failover-slave-broken");
        Assert.Equal(RunStatus.Failed, refusedSlave.Run.Status);
        Assert.Contains("is healthy", NodeError(refusedSlave, "evidence"));
        var refusedMaster = await RunToEndAsync("unplanned-failover-master-broken");
        Assert.Equal(RunStatus.Failed, refusedMaster.Run.Status);
        Assert.Contains("is reachable and a primary", NodeError(refusedMaster, "evidence"));
        HostStateAssert.Unchanged(before, await lab.HostStateAsync(), "the refused runs");

        // A partial partition: the bastion and the slave lose the master, the replica still reaches it. The master is
        // alive and serving behind it; the witness says so and the failover is refused.
        {
            var master = original.Roles["master"];
            await lab.Lab.CutRoutesAsync(master, PgHa.Lab.LabTopology.BastionAddress, address[original.Roles["slave"]]);
            RunView partial;
            var restoring = DateTime.MaxValue;
            try { partial = await RunToEndAsync("unplanned-failover-master-broken"); }
            finally
            {
                restoring = DateTime.UtcNow;
                await lab.Lab.RestoreRoutesAsync(master, PgHa.Lab.LabTopology.BastionAddress, address[original.Roles["slave"]]);
            }
            Assert.Equal(RunStatus.Failed, partial.Run.Status);
            Assert.Contains("alive behind a partition", NodeError(partial, "evidence"));
            var until = DateTime.UtcNow.AddSeconds(60);
            // One WAL sender, and one the slave has answered since the link came back: a sender left from before the cut
            // still shows 'streaming' until wal_sender_timeout (5 s) ends it, and was once all this loop saw.
            var replied = $"SELECT count(*) FILTER (WHERE state = 'streaming' AND reply_time > '{restoring:yyyy-MM-dd HH:mm:ss.ffffff}+00') || '/' || count(*) FROM pg_stat_replication";
            while (await PsqlOnHostAsync(master, replied) != "1/1")
            {
                Assert.True(DateTime.UtcNow < until, "the slave did not stream again within 60 s of the partition's end");
                await Task.Delay(500);
            }
            // The slave's pgbouncer lost its server connections to the master too; it serves again once it has logged in
            // anew (after server_login_retry), and only then are the hosts as they were.
            while (!await ServesAsync(address[original.Roles["slave"]]))
            {
                Assert.True(DateTime.UtcNow < until, "the slave's pgbouncer did not serve again within 60 s of the partition's end");
                await Task.Delay(500);
            }
            HostStateAssert.Unchanged(before, await lab.HostStateAsync(), "the refused failover behind a partial partition");
        }

        await using var viaMaster = new HeldConnectionWriter("via-" + original.Roles["master"], address[original.Roles["master"]], original.Ports.PgBouncer, Password);
        await using var viaSlave = new HeldConnectionWriter("via-" + original.Roles["slave"], address[original.Roles["slave"]], original.Ports.PgBouncer, Password);
        HeldConnectionWriter[] writers = [viaMaster, viaSlave];
        foreach (var w in writers) await w.WaitForCommitsAsync(20, TimeSpan.FromSeconds(20));

        // A blip: the master is cut off for a few seconds and comes back before anyone fails over. Its guard pauses its
        // pgbouncer (no split brain possible) and, once the slave answers that it is still a standby, resumes it by
        // itself. While the slave's postmaster is stopped (SIGSTOP: connections are accepted but never answered) the
        // guard cannot know whether it was promoted, so the pause holds.
        {
            var (master, slave) = (original.Roles["master"], original.Roles["slave"]);
            var guardLog = $"{original.Paths.Log}/pgha-isolation-guard.log";
            var stopSlave = $"kill -STOP $(head -n 1 {original.Paths.Data}/postmaster.pid)";
            var from = viaMaster.Now;
            await lab.Lab.CutLinkAsync(master);
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(4));
                await OnHostAsync(slave, stopSlave);
            }
            finally { await lab.Lab.RestoreLinkAsync(master); }
            try
            {
                var until = DateTime.UtcNow.AddSeconds(20);
                while (!(await OnHostAsync(master, $"tail -n 1 {guardLog}")).Contains("does not answer queries yet"))
                {
                    Assert.True(DateTime.UtcNow < until, $"{master}'s guard did not report the unanswering slave within 20 s: " + await OnHostAsync(master, $"tail -n 3 {guardLog}"));
                    await Task.Delay(100);
                }
                await Task.Delay(TimeSpan.FromSeconds(1));
                Assert.NotEqual("", await OnHostAsync(master, $"cat {original.Paths.Deployment}/isolation-guard/paused 2>/dev/null || true"));
                var held = viaMaster.CommitsSince(viaMaster.Now - TimeSpan.FromSeconds(1));
                Assert.True(held == 0, $"{master}'s pgbouncer took {held} commit(s) in the last second while its guard could not tell whether {slave} was promoted");
            }
            finally { await OnHostAsync(slave, stopSlave.Replace("-STOP", "-CONT")); }
            foreach (var w in writers) await w.WaitForCommitsAsync(20, TimeSpan.FromSeconds(30));
            var guard = await OnHostAsync(master, $"grep 'isolation_guard' {guardLog} | tail -n 3");
            Log($"[blip] {master}'s guard: {guard}; " + Describe(writers, from));
            Assert.Contains("paused (split-brain guard)", guard);
            Assert.Contains($"{address[slave]} is not a primary: pgbouncer on {master} resumed", guard);
            Assert.Equal("", await OnHostAsync(master, $"cat {original.Paths.Deployment}/isolation-guard/paused 2>/dev/null || true"));
            HostStateAssert.Unchanged(before, await lab.HostStateAsync(), "the blip");
        }

        // (1) The slave breaks: its postgres is killed and its data directory deleted. The master's clients never notice.
        {
            var slave = original.Roles["slave"];
            var from = viaMaster.Now;
            await lab.Lab.KillPostgresAsync(slave);
            await OnHostAsync(slave, $"rm -rf -- {original.Paths.Data}");
            // A dry run first: the rebuild is planned by rejoin_standby.sh (a base backup: nothing is left to rewind), and no host changes.
            var hostsBefore = await lab.HostStateAsync();
            var (plan, _) = await lab.RunAsync("unplanned-failover-slave-broken", TimeSpan.FromMinutes(3), dryRun: true);
            var planText = LabDeploymentFixture.JournalText(plan);
            Assert.True(plan.Run.Status == RunStatus.Completed, "slave broken, dry run: " + planText);
            Assert.Contains($"[plan] {slave}: pg_basebackup from {address[original.Roles["master"]]} into {original.Paths.Data}.pgha-new (slot ", planText);
            Assert.Contains($"[plan] {slave}: write {original.Paths.Data}/postgresql.auto.conf (mode 600)", planText);
            HostStateAssert.Unchanged(hostsBefore, await lab.HostStateAsync(), "the dry run with the slave broken");
            var run = await RunToEndAsync("unplanned-failover-slave-broken");
            Assert.True(run.Run.Status == RunStatus.Completed, "slave broken: " + LabDeploymentFixture.JournalText(run));
            Assert.Contains("not running", Output(run, "evidence", "reason"));
            Assert.Equal("basebackup", Output(run, "rebuild", "method"));
            foreach (var w in writers) await w.WaitForCommitsAsync(20, TimeSpan.FromSeconds(20));
            Log($"[slave broken] rebuilt in {(run.Run.EndedAt - run.Run.StartedAt)?.TotalSeconds:0.0} s; " + Describe(writers, from));
            foreach (var w in writers) Assert.True(w.FailedSince(from) == 0, $"slave broken: {w.Name} saw failed commits: {string.Join(" | ", w.Failed.Select(f => f.Error).Distinct())}");
            await AssertClusterAsync("slave broken", await StoredInventoryAsync(), writers, lostAllowed: 0, run, "smoke");

            // Forced on the healthy slave: it says what it destroys, and rebuilds it anyway.
            var forced = await WaitForEndAsync((await lab.StartAsync("unplanned-failover-slave-broken", inputs: new Dictionary<string, JsonElement> { ["force"] = JsonSerializer.SerializeToElement(true) })).Run.RunId, TimeSpan.FromMinutes(15));
            Assert.True(forced.Run.Status == RunStatus.Completed, "forced rebuild: " + LabDeploymentFixture.JournalText(forced));
            Assert.StartsWith("forced: it was healthy", Output(forced, "evidence", "reason"));
            Assert.Contains($"the PostgreSQL data directory {original.Paths.Data} on {slave}", Output(forced, "evidence", "destroys"));
            foreach (var w in writers) await w.WaitForCommitsAsync(20, TimeSpan.FromSeconds(20));
            foreach (var w in writers) Assert.True(w.FailedSince(from) == 0, $"forced rebuild: {w.Name} saw failed commits");
            await AssertClusterAsync("forced rebuild", await StoredInventoryAsync(), writers, lostAllowed: 0, forced, "smoke");

            // As if an earlier attempt of the rebuild had died right after swapping its base backup in: a complete copy
            // of the master in the data directory, never started (its backup_label still there). The rebuild starts it
            // as it is; pg_rewind's recovery of it would leave a standby ahead of its primary that never streams.
            await lab.Lab.KillPostgresAsync(slave);
            await OnHostAsync(slave, $"rm -rf -- {original.Paths.Data} && /usr/lib/postgresql/15/bin/pg_basebackup -d 'host={address[original.Roles["master"]]} port=5432 user=replicator' " +
                                     $"-w -D {original.Paths.Data} -X stream -c fast && test -f {original.Paths.Data}/backup_label");
            var swappedIn = await RunToEndAsync("unplanned-failover-slave-broken");
            Assert.True(swappedIn.Run.Status == RunStatus.Completed, "copy swapped in, not started: " + LabDeploymentFixture.JournalText(swappedIn));
            Assert.Contains("that an earlier attempt swapped in and did not start; starting it as it is", new RunViewAssertions(swappedIn).Journal("rebuild"));
            foreach (var w in writers) await w.WaitForCommitsAsync(20, TimeSpan.FromSeconds(20));
            await AssertClusterAsync("copy swapped in, not started", await StoredInventoryAsync(), writers, lostAllowed: 0, swappedIn, "smoke");
        }

        // (2) The master's postgres is SIGKILLed: evidence, approval, fence, promotion; the old master rebuilt as the slave.
        {
            var roles = (await StoredInventoryAsync()).Roles;
            var (oldMaster, newMaster) = (roles["master"], roles["slave"]);
            await lab.Lab.KillPostgresAsync(oldMaster);
            var killedAt = viaSlave.Now;

            // A dry run first: the fence, the promotion and the rebuild are planned by their host scripts, and no host changes.
            var hostsBefore = await lab.HostStateAsync();
            var (plan, _) = await lab.RunAsync("unplanned-failover-master-broken", TimeSpan.FromMinutes(3), dryRun: true);
            var planText = LabDeploymentFixture.JournalText(plan);
            Assert.True(plan.Run.Status == RunStatus.Completed, "master killed, dry run: " + planText);
            Assert.Contains($"[plan] {oldMaster}: touch {original.Paths.Data}/standby.signal", planText);
            Assert.Contains($"[plan] {newMaster}: SQL on postgres: SELECT pg_promote(wait => false)", planText);
            Assert.Contains($"[plan] {oldMaster}: pg_rewind -D {original.Paths.Data} --source-server=", planText);
            HostStateAssert.Unchanged(hostsBefore, await lab.HostStateAsync(), "the dry run with the master killed");

            var runId = await StartAsync("unplanned-failover-master-broken");
            var approval = await WaitForApprovalAsync(runId, "approve", TimeSpan.FromMinutes(2));
            Log($"[master killed] approval prompt: {approval.Prompt}");
            Assert.Contains("Data at risk", approval.Prompt);
            Assert.Contains($"the witness {original.Roles["replica"]} gets no answer from it either", approval.Prompt);
            Assert.Contains("the last CheckCluster (run ", approval.Prompt);
            var evidence = (await lab.Runtime.GetRunAsync(runId))!;
            Assert.True(Output(evidence, "evidence", "exact") == "True", "the old master's host answers, so its own WAL gives the exact loss");
            var commitsAtRisk = int.Parse(Output(evidence, "evidence", "commitsAtRisk"));

            var approvedAt = viaSlave.Now;
            await ApproveAsync(runId, "approve", "postgres on the master was killed; failing over");
            var firstWrite = await FirstCommitAfterAsync(viaSlave, approvedAt, address[newMaster], TimeSpan.FromSeconds(60));
            Log($"[master killed] RTO: first acknowledged write through {newMaster}'s pgbouncer {(firstWrite - approvedAt).TotalMilliseconds:0} ms after the approval, " +
                $"{(firstWrite - killedAt).TotalSeconds:0.0} s after the kill");

            await WaitForApprovalAsync(runId, "offer-rebuild", TimeSpan.FromMinutes(5));
            var failover = (await lab.Runtime.GetRunAsync(runId))!;
            foreach (var entry in failover.Journal.Where(j => j.NodeId is "pause" or "fence" or "promote" or "switch" or "resume"))
                Log($"[master killed] --- {entry.NodeId} {entry.StartedAt:HH:mm:ss.fff} .. {entry.EndedAt:HH:mm:ss.fff}\n{entry.Log}");
            // Once its pgbouncer is paused, the surviving side's clients wait for the new primary instead of failing.
            var pausedAt = viaSlave.OnClock(failover.Nodes.Single(n => n.NodeId == "pause").EndedAt!.Value);
            Assert.True(viaSlave.FailedSince(pausedAt) == 0, $"{viaSlave.Name} saw failed commits after the PAUSE: {string.Join(" | ", viaSlave.Failed.Where(f => f.At >= pausedAt).Select(f => f.Error).Distinct())}");
            var fence = (await lab.Services.GetRequiredService<HostFences>().ForClusterAsync("lab", CancellationToken.None)).Single();
            Assert.Equal((oldMaster, HostFenceStates.Done), (fence.Host, fence.State));
            Assert.True(await OnHostAsync(oldMaster, $"test -e {original.Paths.Data}/standby.signal && echo fenced") == "fenced", "a fenced data directory starts only as a standby");
            await ApproveAsync(runId, "offer-rebuild", "rebuild it now");
            var run = await WaitForEndAsync(runId, TimeSpan.FromMinutes(15));
            Assert.True(run.Run.Status == RunStatus.Completed, "master killed: " + LabDeploymentFixture.JournalText(run));
            Assert.Empty(await lab.Services.GetRequiredService<HostFences>().ForClusterAsync("lab", CancellationToken.None));
            Assert.Equal(new Dictionary<string, string> { ["master"] = newMaster, ["slave"] = oldMaster, ["replica"] = roles["replica"] }, (await StoredInventoryAsync()).Roles);
            foreach (var w in writers) await w.WaitForCommitsAsync(20, TimeSpan.FromSeconds(30));
            Log($"[master killed] {commitsAtRisk} commit(s) at risk shown at approval; " + Describe(writers, killedAt));
            var lost = await AssertClusterAsync("master killed", await StoredInventoryAsync(), writers, lostAllowed: commitsAtRisk, run, "rebuild-smoke");
            Log($"[master killed] acknowledged rows lost: {lost} (estimate at approval: {commitsAtRisk})");
        }

        // (3) The master is cut off the network with its postgres running: a partition. The failover fences it pending;
        // when its link is back the server stops it before it takes a write through any pgbouncer.
        {
            var roles = (await StoredInventoryAsync()).Roles;
            var (oldMaster, newMaster) = (roles["master"], roles["slave"]);
            await lab.Lab.CutLinkAsync(oldMaster);
            var cutAt = DateTime.UtcNow;
            string runId;
            try
            {
                runId = await StartAsync("unplanned-failover-master-broken");
                var approval = await WaitForApprovalAsync(runId, "approve", TimeSpan.FromMinutes(2));
                Log($"[partition] approval prompt: {approval.Prompt}");
                Assert.Contains("does not answer on SSH", approval.Prompt);
                await ApproveAsync(runId, "approve", "the master is partitioned; failing over");
                await WaitForApprovalAsync(runId, "offer-rebuild", TimeSpan.FromMinutes(5));
                var run = (await lab.Runtime.GetRunAsync(runId))!;
                Assert.Equal("pending", Output(run, "fence", "fenced"));
                Assert.Equal("t", await PsqlOnHostAsync(newMaster, "SELECT NOT pg_is_in_recovery()"));
            }
            finally
            {
                await lab.Lab.RestoreLinkAsync(oldMaster);
            }
            var restoredAt = DateTime.UtcNow;

            // Within seconds the pending fence stops the old primary and points its pgbouncer at the new one.
            var fences = lab.Services.GetRequiredService<HostFences>();
            var deadline = DateTime.UtcNow.AddSeconds(30);
            HostFenceRecord? fence;
            while ((fence = (await fences.ForClusterAsync("lab", CancellationToken.None)).SingleOrDefault()) is not { State: HostFenceStates.Done } && DateTime.UtcNow < deadline)
                await Task.Delay(100);
            Assert.True(fence is { State: HostFenceStates.Done }, $"the pending fence was not carried out within 30 s of the link coming back: {fence?.State} {fence?.Result}");
            Log($"[partition] pending fence carried out {(fence!.CarriedOutAt!.Value - restoredAt).TotalMilliseconds:0} ms after the link came back: {fence.Result}");
            Assert.Equal("", await OnHostAsync(oldMaster, "pgrep -u silkcloud -x postgres || true"));
            foreach (var bouncer in new[] { oldMaster, newMaster })
                Assert.Equal(address[newMaster], await ScalarAsync<string>(address[bouncer], "SELECT host(inet_server_addr())", port: 6543));

            // No two servers took writes after the promotion: every acknowledged commit the old master made, it made
            // before (its own commit time; an ack may arrive later, once the link is back). Its split-brain guard had
            // paused its pgbouncer before the standby could even notice the loss.
            var promotedAt = (await lab.Runtime.GetRunAsync(runId))!.Nodes.Single(n => n.NodeId == "promote").StartedAt!.Value;
            foreach (var w in writers)
                lock (w.Acknowledged)
                {
                    var onOld = w.Acknowledged.Where(a => a.Server != address[newMaster] && a.At >= w.OnClock(cutAt)).ToList();
                    var late = onOld.Where(a => w.CommittedAt[a.N] >= promotedAt).ToList();
                    Log($"[partition] {w.Name}: {onOld.Count} commit(s) by {oldMaster} acknowledged after the cut, the last committed at " +
                        $"{(onOld.Count == 0 ? "-" : w.CommittedAt[onOld[^1].N].ToString("HH:mm:ss.fff"))}; promotion started {promotedAt:HH:mm:ss.fff}");
                    Assert.True(late.Count == 0, $"{w.Name}: {late.Count} commit(s) made by {oldMaster} after the promotion of {newMaster} started ({promotedAt:HH:mm:ss.fff})");
                }
            var guard = await OnHostAsync(oldMaster, $"grep 'split-brain guard' {original.Paths.Log}/pgha-isolation-guard.log | tail -n 2");
            Log($"[partition] {oldMaster}'s guard: {guard}");
            Assert.Contains("paused (split-brain guard)", guard);

            await ApproveAsync(runId, "offer-rebuild", "link is back; rebuild it");
            var done = await WaitForEndAsync(runId, TimeSpan.FromMinutes(15));
            Assert.True(done.Run.Status == RunStatus.Completed, "partition: " + LabDeploymentFixture.JournalText(done));
            foreach (var w in writers) await w.WaitForCommitsAsync(20, TimeSpan.FromSeconds(60));
            Log($"[partition] cut {cutAt:HH:mm:ss.fff}, restored {restoredAt:HH:mm:ss.fff}; " + Describe(writers, writers[0].OnClock(cutAt)));
            // What the old master committed after the slave lost it (inside the partition, through nobody's pgbouncer
            // on this side) is the async window; anything acknowledged is counted against the lower bound shown.
            var lost = await AssertClusterAsync("partition", await StoredInventoryAsync(), writers, lostAllowed: int.MaxValue, done, "rebuild-smoke");
            Log($"[partition] acknowledged rows lost: {lost}");
        }
        Assert.Equal(original.Roles, (await StoredInventoryAsync()).Roles);
    }

    /// <summary>What a DBA checks after each stage; returns how many acknowledged rows are missing on the master.</summary>
    private async Task<int> AssertClusterAsync(string stage, ClusterInventory inventory, HeldConnectionWriter[] writers, int lostAllowed,
        RunView run, string smokeNode)
    {
        var (master, slave, replica) = (inventory.Roles["master"], inventory.Roles["slave"], inventory.Roles["replica"]);
        var address = inventory.Hosts.ToDictionary(h => h.Name, h => h.Address);
        Assert.Equal("f", await PsqlOnHostAsync(master, "SELECT pg_is_in_recovery()"));
        Assert.Equal("t", await PsqlOnHostAsync(slave, "SELECT pg_is_in_recovery()"));
        Assert.Equal($"{address[slave]}|streaming", await PsqlOnHostAsync(master, "SELECT host(client_addr) || '|' || state FROM pg_stat_replication"));
        foreach (var bouncer in new[] { master, slave })
            Assert.Equal(address[master], await ScalarAsync<string>(address[bouncer], "SELECT host(inet_server_addr())", port: 6543));
        foreach (var w in writers)
            lock (w.Acknowledged) Assert.Equal(address[master], w.Acknowledged[^1].Server);

        // Acknowledged rows on the master; the standby and (via Londiste) the replica get a row written now.
        var missing = 0;
        foreach (var w in writers)
        {
            long[] acknowledged;
            lock (w.Acknowledged) acknowledged = w.Acknowledged.Select(a => a.N).ToArray();
            var present = new HashSet<long>();
            await using (var c = Connect(address[master]))
            {
                await c.OpenAsync();
                await using var cmd = new NpgsqlCommand($"SELECT n FROM {HeldConnectionWriter.Table} WHERE writer = $1", c);
                cmd.Parameters.Add(new NpgsqlParameter { Value = w.Name });
                await using var reader = await cmd.ExecuteReaderAsync();
                while (await reader.ReadAsync()) present.Add(reader.GetInt64(0));
            }
            missing += acknowledged.Count(n => !present.Contains(n));
        }
        Assert.True(missing <= lostAllowed, $"{stage}: {missing} acknowledged row(s) missing on {master}, at most {lostAllowed} expected");

        var token = $"unplanned-{stage.Replace(' ', '-')}-{Guid.NewGuid():N}";
        await using (var c = Connect(address[master]))
        {
            await c.OpenAsync();
            await using (var create = new NpgsqlCommand("CREATE TABLE IF NOT EXISTS unplanned_probe (token text PRIMARY KEY)", c)) await create.ExecuteNonQueryAsync();
            await using var cmd = new NpgsqlCommand("INSERT INTO unplanned_probe VALUES ($1)", c);
            cmd.Parameters.Add(new NpgsqlParameter { Value = token });
            await cmd.ExecuteNonQueryAsync();
        }
        var until = DateTime.UtcNow.AddSeconds(30);
        while (await PsqlOnHostAsync(slave, $"SELECT count(*) FROM unplanned_probe WHERE token = '{token}'") != "1")
        {
            Assert.True(DateTime.UtcNow < until, $"{stage}: a row written on {master} did not reach the standby {slave} within 30 s");
            await Task.Delay(200);
        }
        // Londiste: every row the run's smoke test wrote on the new master (directly and through each pgbouncer) is on the
        // replica, as psql there sees it.
        var smokeTokens = run.Journal.Last(j => j.NodeId == smokeNode && j.Outputs is not null).Outputs!.Value.GetProperty("tokens").GetProperty("appdb")
            .EnumerateArray().Select(t => t.GetString()!).ToList();
        Assert.NotEmpty(smokeTokens);
        Assert.Equal(smokeTokens.Count.ToString(), await PsqlOnHostAsync(replica,
            $"SELECT count(*) FROM pgha_smoke.tokens WHERE token IN ({string.Join(", ", smokeTokens.Select(t => $"'{t}'"))})"));
        return missing;
    }

    private static string Describe(HeldConnectionWriter[] writers, TimeSpan from) =>
        string.Join("; ", writers.Select(w => $"{w.Name}: longest gap {w.LongestGap(from).TotalMilliseconds:0} ms, {w.FailedSince(from)} failed, {w.Connections} connection(s)"));

    private async Task<T> ScalarAsync<T>(string address, string sql, int port = 5432)
    {
        await using var c = Connect(address, port);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }
    private async Task<bool> ServesAsync(string bouncer)
    {
        try { return await ScalarAsync<int>(bouncer, "SELECT 1", port: 6543) == 1; }
        catch (Exception e) when (e is NpgsqlException or TimeoutException) { return false; }
    }

    private static string NodeError(RunView run, string node) => run.Nodes.Single(n => n.NodeId == node).Error ?? "";

    private static string Output(RunView run, string node, string name)
    {
        var entry = run.Journal.Last(j => j.NodeId == node && j.Outputs is not null);
        return entry.Outputs!.Value.GetProperty(name) is var v && v.ValueKind == JsonValueKind.String ? v.GetString()! : v.ToString();
    }

    private async Task<string> StartAsync(string runbook) => (await lab.StartAsync(runbook)).Run.RunId;

    private async Task<RunView> RunToEndAsync(string runbook) => await WaitForEndAsync(await StartAsync(runbook), TimeSpan.FromMinutes(15));

    private async Task<RunView> WaitForEndAsync(string runId, TimeSpan timeout)
    {
        var run = await lab.WaitForAsync(runId, timeout);
        foreach (var node in run.Nodes)
            Log($"    {node.NodeId,-24} {node.State,-10} {((node.EndedAt - node.StartedAt)?.TotalSeconds ?? 0),6:0.0} s {node.Error}");
        return run;
    }

    private async Task<ApprovalView> WaitForApprovalAsync(string runId, string node, TimeSpan timeout)
    {
        var run = await lab.WaitForAsync(runId, timeout, r => RunStatus.IsFinished(r.Run.Status) || r.Approvals.Any(a => a.NodeId == node && a.Decision is null));
        return run.Approvals.FirstOrDefault(a => a.NodeId == node && a.Decision is null)
               ?? throw new InvalidOperationException($"run {runId} is {run.Run.Status} and does not wait at '{node}': {LabDeploymentFixture.JournalText(run)}");
    }

    private Task ApproveAsync(string runId, string node, string comment) =>
        lab.Runtime.DecideAsync(runId, node, ApprovalChoice.Approve, new Decider("e2e-approver", ["approver"]), comment);

    /// <summary>When (on the writer's clock) it first got a commit acknowledged by that server after a moment.</summary>
    private static async Task<TimeSpan> FirstCommitAfterAsync(HeldConnectionWriter writer, TimeSpan after, string server, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            lock (writer.Acknowledged)
                if (writer.Acknowledged.FirstOrDefault(a => a.At > after && a.Server == server) is { Server: not null } first) return first.At;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{writer.Name} got no commit acknowledged by {server} within {timeout.TotalSeconds:0} s of the approval");
            await Task.Delay(5);
        }
    }
}
