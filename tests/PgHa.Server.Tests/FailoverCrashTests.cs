using System.Text.Json.Nodes;
using Npgsql;
using PgHa.Activities.Tests;
using PgHa.Remote;
using Xunit.Abstractions;

namespace PgHa.Server.Tests;

/// <summary>
/// Failovers through the HTTP API of a real server process that is SIGKILLed at their most delicate moments, each time
/// replaced by a new process on the same store. Planned: a switchover killed waiting for the approval, right after
/// PAUSE, right after the master stopped, right after the promotion; then a server killed inside the pause window and
/// NOT restarted — the pgbouncers resume by themselves within the budget. Unplanned: a master-broken failover killed
/// right after the fence, the promotion and the role swap, and a slave rebuild killed right after its rebuild node.
/// Each run completes, the pgbouncers end resumed and routed to the new primary, the held application connections never
/// see two writable servers (and lose nothing, except a killed master's async window), and no completed node runs again.
/// </summary>
[Collection(LabCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class FailoverCrashTests(ITestOutputHelper output) : IAsyncLifetime
{
    private ServerOnTheLab _lab = null!;
    private HeldConnectionWriter[] _writers = [];

    private void Log(string line)
    {
        output.WriteLine(line);
        Console.WriteLine(line);
    }

    public async Task InitializeAsync()
    {
        _lab = await ServerOnTheLab.StartAsync();
        foreach (var runbook in new[] { "environment-preparation", "deployment-preparation", "deployment" })
            Assert.Equal("Completed", Http.Status(await _lab.RunToEndAsync(runbook, new { })));

        // The applications: one held connection per pgbouncer (on the master's and the slave's host), committing every 10 ms.
        var roles = await _lab.RolesAsync();
        var password = _lab.Secrets["lab-app-password"];
        await HeldConnectionWriter.CreateTableAsync(Address(roles["master"]), password);
        _writers = [new("crash-via-" + roles["master"], Address(roles["master"]), 6543, password), new("crash-via-" + roles["slave"], Address(roles["slave"]), 6543, password)];
        foreach (var w in _writers) await w.WaitForCommitsAsync(20, TimeSpan.FromSeconds(20));
    }

    public async Task DisposeAsync()
    {
        foreach (var w in _writers) await w.DisposeAsync();
        await _lab.DisposeAsync();
    }

    private static string Address(string host) => ServerOnTheLab.Address(host);

    [Fact]
    public async Task A_switchover_whose_server_is_killed_at_each_step_completes_on_the_next_server()
    {
        var password = _lab.Secrets["lab-app-password"];
        var roles = await _lab.RolesAsync();
        var writers = _writers;

        var matrix = new List<string>();
        foreach (var (kind, node) in new[] { ("approval.requested", "approve"), ("node.ended", "pause"), ("node.ended", "stop-master"), ("node.ended", "promote") })
        {
            roles = await _lab.RolesAsync();
            var from = writers[0].Now;
            using (var op = _lab.Operator())
            {
                var runId = await op.StartRunAsync(new { runbook = "planned-failover", cluster = "lab", inputs = new { } });
                var killing = _lab.KillOnEventAsync(runId, kind, node);
                if (node != "approve")
                {
                    using var ap = _lab.Approver();
                    await op.WaitForRunAsync(runId, Http.Waiting, TimeSpan.FromMinutes(2));
                    Assert.True((await ap.PostAsync($"api/runs/{runId}/approvals", Http.Json(new { node = "approve", decision = "approve", comment = "go" }))).IsSuccessStatusCode);
                }
                await killing;
                Log($"[crash] server killed at {kind} of {node}");
                await _lab.RestartAsync();
                var run = await _lab.FinishAsync(runId);

                // No node that had completed before the kill ran again; the one in flight ran at most twice.
                var journal = run["journal"]!.AsArray();
                var succeeded = journal.Where(j => j!["status"]!.GetValue<string>() == "Succeeded").GroupBy(j => j!["nodeId"]!.GetValue<string>()).ToList();
                Assert.All(succeeded, g => Assert.Single(g));
                var interrupted = journal.Where(j => j!["status"]!.GetValue<string>() == "Interrupted").Select(j => j!["nodeId"]!.GetValue<string>()).ToList();
                matrix.Add($"planned-failover × kill at {kind} {node} → Completed; interrupted: {(interrupted.Count == 0 ? "none" : string.Join(", ", interrupted))}");
            }
            foreach (var w in writers) await w.WaitForCommitsAsync(20, TimeSpan.FromSeconds(60));
            await AssertOneWritableServerRoutedEverywhereAsync(roles["slave"], roles["master"], writers, from, password);
            Log($"[crash] {matrix[^1]}; longest gaps {string.Join(", ", writers.Select(w => $"{w.LongestGap(from).TotalMilliseconds:0} ms"))}, failed {string.Join(", ", writers.Select(w => w.FailedSince(from)))}");
        }

        // (e) killed inside the pause window and not restarted: every pgbouncer resumes by itself. A runbook that stays
        // in the window (PAUSE, a durable Delay, RESUME) keeps the master up, so the held clients' commits tell when.
        roles = await _lab.RolesAsync();
        using (var op = _lab.Operator())
        using (var ap = _lab.Approver())
        {
            var saved = await op.PostAsync("api/runbooks", Http.Json(PauseWindowRunbook));
            Assert.True(saved.IsSuccessStatusCode, await saved.Content.ReadAsStringAsync());
            var published = await ap.PostAsync("api/runbooks/crash-pause-window/versions/1/publish", null);
            Assert.True(published.IsSuccessStatusCode, await published.Content.ReadAsStringAsync());
            var runId = await op.StartRunAsync(new { runbook = "crash-pause-window", cluster = "lab", inputs = new { } });
            await _lab.KillOnEventAsync(runId, "node.ended", "pause");
            var killedAt = writers[1].Now;
            foreach (var host in roles.Where(r => r.Key is "master" or "slave").Select(r => r.Value))
            {
                var fired = await _lab.Host(host).ReadAsync(RemoteCommand.Bash(
                    $"for i in $(seq 1 60); do grep -q '^{runId} ' /home/silkcloud/pgha/pgbouncer-guard/fired 2>/dev/null && break; sleep 0.5; done; grep '^{runId} ' /home/silkcloud/pgha/pgbouncer-guard/fired || true")
                    with { Timeout = TimeSpan.FromSeconds(60) });
                Log($"[crash] {host}: guard record: {fired}");
                Assert.False(string.IsNullOrWhiteSpace(fired), $"the pgbouncer on {host} did not resume by itself");
            }
            foreach (var w in writers)
            {
                var answeredAfter = await WaitUntilCommittedAsync(w, killedAt, TimeSpan.FromSeconds(30));
                Log($"[crash] {w.Name}: held connection committed again {answeredAfter.TotalSeconds:0.0} s after the kill (guard budget 8 s from the PAUSE)");
                Assert.InRange(answeredAfter.TotalSeconds, 0, 8 + 2);
            }

            // The next server completes the run, and its ResumePgBouncer reports that the guards had resumed the pgbouncers.
            await _lab.RestartAsync();
            var resumed = (await _lab.FinishAsync(runId))["journal"]!.AsArray().Single(j => j!["nodeId"]!.GetValue<string>() == "resume" && j["status"]!.GetValue<string>() == "Succeeded")!;
            foreach (var host in roles.Where(r => r.Key is "master" or "slave").Select(r => r.Value))
                Assert.True(resumed["outputs"]!["resumed"]![host]!["resumedByGuard"]!.GetValue<bool>(), resumed.ToJsonString());
        }
        matrix.Add("crash-pause-window × kill after PAUSE, no server for longer than the budget → pgbouncers resumed by their guards, held clients commit again; the next server completed the run and reported it");

        var inside = new CrashMatrix(_lab);
        await KillInsideEveryMutatingNodeAsync(inside, "planned-failover", breakCluster: null, promotes: true);
        await AbortedSwitchoverKilledInsideItsAbortNodesAsync(inside);
        Log("[crash] crash matrix:\n  " + string.Join("\n  ", matrix.Concat(inside.Rows)));
    }

    [Fact]
    public async Task Unplanned_failovers_whose_server_is_killed_after_fence_promote_role_swap_and_rebuild_complete_with_no_doubled_effect()
    {
        var password = _lab.Secrets["lab-app-password"];
        var roles = await _lab.RolesAsync();
        var writers = _writers;

        var matrix = new List<string>();
        foreach (var node in new[] { "fence", "promote", "set-roles" })
        {
            roles = await _lab.RolesAsync();
            var timeline = await TimelineAsync(roles["slave"]);
            var beforeKill = writers[0].Now;
            await _lab.Lab.KillPostgresAsync(roles["master"]);
            var from = writers[0].Now;
            using (var op = _lab.Operator())
            using (var ap = _lab.Approver())
            {
                var runId = await op.StartRunAsync(new { runbook = "unplanned-failover-master-broken", cluster = "lab", inputs = new { } });
                var killing = _lab.KillOnEventAsync(runId, "node.ended", node);
                await op.WaitForRunAsync(runId, Http.Waiting, TimeSpan.FromMinutes(2));
                Assert.True((await ap.PostAsync($"api/runs/{runId}/approvals", Http.Json(new { node = "approve", decision = "approve", comment = "master killed" }))).IsSuccessStatusCode);
                await killing;
                Log($"[crash] server killed at node.ended of {node}");
                await _lab.RestartAsync();
                var run = await _lab.FinishAsync(runId);

                var journal = run["journal"]!.AsArray();
                Assert.All(journal.Where(j => j!["status"]!.GetValue<string>() == "Succeeded").GroupBy(j => j!["nodeId"]!.GetValue<string>()), g => Assert.Single(g));
                var interrupted = journal.Where(j => j!["status"]!.GetValue<string>() == "Interrupted").Select(j => j!["nodeId"]!.GetValue<string>()).ToList();
                matrix.Add($"unplanned-failover-master-broken × kill at node.ended {node} → Completed; interrupted: {(interrupted.Count == 0 ? "none" : string.Join(", ", interrupted))}");
                using var next = _lab.Operator(); // the restarted server listens on a new port
                var fences = (await (await next.GetAsync("api/clusters/lab/fences")).Body()).AsArray();
                Assert.Empty(fences); // fenced, then lifted by the rebuild
            }
            // Promoted once: exactly one timeline more, never two.
            Assert.Equal(timeline + 1, await TimelineAsync(roles["slave"]));
            foreach (var w in writers) await w.WaitForCommitsAsync(20, TimeSpan.FromSeconds(60));
            await AssertOneWritableServerRoutedEverywhereAsync(roles["slave"], roles["master"], writers, from, password, lostSince: beforeKill);
            Log($"[crash] {matrix[^1]}; failed commits {string.Join(", ", writers.Select(w => w.FailedSince(from)))}");
        }

        // The slave breaks (postgres killed, data directory deleted); the server dies right after the rebuild node.
        roles = await _lab.RolesAsync();
        await _lab.Lab.KillPostgresAsync(roles["slave"]);
        await _lab.Host(roles["slave"]).ReadAsync(RemoteCommand.Bash("rm -rf -- /var/lib/postgresql/15/pgha"));
        using (var op = _lab.Operator())
        {
            var from = writers[0].Now;
            var runId = await op.StartRunAsync(new { runbook = "unplanned-failover-slave-broken", cluster = "lab", inputs = new { } });
            await _lab.KillOnEventAsync(runId, "node.ended", "rebuild");
            Log("[crash] server killed at node.ended of rebuild (slave broken)");
            await _lab.RestartAsync();
            var journal = (await _lab.FinishAsync(runId))["journal"]!.AsArray();
            Assert.All(journal.Where(j => j!["status"]!.GetValue<string>() == "Succeeded").GroupBy(j => j!["nodeId"]!.GetValue<string>()), g => Assert.Single(g));
            var interrupted = journal.Where(j => j!["status"]!.GetValue<string>() == "Interrupted").Select(j => j!["nodeId"]!.GetValue<string>()).ToList();
            matrix.Add($"unplanned-failover-slave-broken × kill at node.ended rebuild → Completed; interrupted: {(interrupted.Count == 0 ? "none" : string.Join(", ", interrupted))}");
            foreach (var w in writers) await w.WaitForCommitsAsync(20, TimeSpan.FromSeconds(60));
            await AssertOneWritableServerRoutedEverywhereAsync(roles["master"], roles["slave"], writers, from, password);
            Assert.All(writers, w => Assert.Equal(0, w.FailedSince(from))); // the master's clients never noticed
        }

        var inside = new CrashMatrix(_lab);
        await KillInsideEveryMutatingNodeAsync(inside, "unplanned-failover-master-broken", roles => _lab.Lab.KillPostgresAsync(roles["master"]), promotes: true);
        await KillInsideEveryMutatingNodeAsync(inside, "unplanned-failover-slave-broken", async roles =>
        {
            await _lab.Lab.KillPostgresAsync(roles["slave"]);
            await _lab.Host(roles["slave"]).ReadAsync(RemoteCommand.Bash("rm -rf -- /var/lib/postgresql/15/pgha"));
        }, promotes: false);
        await AbortedFailoverKilledInsideItsAbortNodeAsync(inside);
        Log("[crash] crash matrix:\n  " + string.Join("\n  ", matrix.Concat(inside.Rows)));
    }

    /// <summary>
    /// The abort branch of unplanned-failover-master-broken, killed inside its mutating node: the master's postgres is
    /// killed, and once the evidence is in, the slave's too, so the promotion fails; the runbook RESUMEs the surviving
    /// pgbouncer and fails. Nothing was promoted (the roles stay, the slave's data directory is still a standby's) and
    /// the pgbouncer is not left paused. Last in its test: the cluster has no primary afterwards.
    /// </summary>
    private async Task AbortedFailoverKilledInsideItsAbortNodeAsync(CrashMatrix matrix)
    {
        var roles = await _lab.RolesAsync();
        var (master, slave) = (roles["master"], roles["slave"]);
        await _lab.Lab.KillPostgresAsync(master);
        string runId;
        using (var op = _lab.Operator())
        {
            runId = await op.StartRunAsync(new { runbook = "unplanned-failover-master-broken", cluster = "lab", inputs = new { } });
            await op.WaitForRunAsync(runId, Http.Waiting, TimeSpan.FromMinutes(2));
        }
        await _lab.Lab.KillPostgresAsync(slave);
        Assert.Equal("resume-after-abort", await matrix.KillInsideAsync(runId, ["resume-after-abort"]));
        await _lab.RestartAsync();
        var run = await _lab.EndAsync(runId);
        Assert.Equal("Failed", Http.Status(run));
        var nodes = run["nodes"]!.AsArray().ToDictionary(n => n!["nodeId"]!.GetValue<string>(), n => n!["state"]!.GetValue<string>());
        Assert.Equal(("Failed", "Succeeded", "NotStarted"), (nodes["promote"], nodes["resume-after-abort"], nodes["switch"]));
        await matrix.CheckAsync("unplanned-failover-master-broken (aborted)", runId, run);

        Assert.Equal(roles, await _lab.RolesAsync());
        Assert.Equal("standby", await _lab.Host(slave).ReadAsync(RemoteCommand.Bash("test -f /var/lib/postgresql/15/pgha/standby.signal && echo standby")));
        var inventory = PgHa.Clusters.ClusterInventory.FromJson(await File.ReadAllTextAsync(_lab.Lab.InventoryFile));
        var admin = _lab.Secrets[inventory.Secrets["pgbouncerAdminPassword"]];
        var databases = await _lab.Host(slave).ReadAsync(RemoteCommand.Bash(
            $"psql -X -qA -F '|' -P footer=off -h 127.0.0.1 -p {inventory.Ports.PgBouncer} -U pgbadmin -d pgbouncer -c 'SHOW DATABASES'")
            with { Environment = new Dictionary<string, string> { ["PGPASSWORD"] = admin } });
        var lines = databases.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var appdb = lines.Single(l => l.StartsWith("appdb|", StringComparison.Ordinal)).Split('|');
        Assert.Equal("0", appdb[Array.IndexOf(lines[0].Split('|'), "paused")]);
        Log($"[crash] unplanned-failover-master-broken aborted at the promotion: roles unchanged, {slave}'s pgbouncer not paused");
    }

    /// <summary>
    /// Runs the runbook (after <paramref name="breakCluster"/>, if given) until the server has been killed inside each
    /// of its mutating nodes once — after each kill the next server resumes the run, and the server is killed again
    /// inside the next such node the test sees running; nodes it ran before the test could follow are left for the next
    /// run. Each run completes, no node succeeds twice, no resumed attempt runs beside the dead server's, and the
    /// cluster ends with one writable server that both pgbouncers route to, a timeline one higher when it promotes,
    /// (a killed master's async window apart) no acknowledged row lost, and the host state an uninterrupted run of the
    /// same runbook left with the same master. Mutating nodes that an uninterrupted run never reaches (the abort
    /// branches) are listed as such.
    /// </summary>
    private async Task KillInsideEveryMutatingNodeAsync(CrashMatrix matrix, string runbook, Func<Dictionary<string, string>, Task>? breakCluster, bool promotes)
    {
        var password = _lab.Secrets["lab-app-password"];
        var pending = await matrix.MutatingNodesAsync(runbook);
        var offPath = new List<string>();

        // The end state of an uninterrupted run, by the host it leaves as the master: a promoting runbook runs twice,
        // so both ways are known.
        var uninterrupted = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        for (var i = 0; i < (promotes ? 2 : 1); i++)
        {
            if (breakCluster is not null) await breakCluster(await _lab.RolesAsync());
            await _lab.RunToEndAsync(runbook, new { });
            foreach (var w in _writers) await w.WaitForCommitsAsync(20, TimeSpan.FromSeconds(60));
            uninterrupted[(await _lab.RolesAsync())["master"]] = await matrix.ComparableStateAsync();
        }

        for (var pass = 1; pending.Count > 0; pass++)
        {
            Assert.True(pass <= 6, $"{runbook}: not killed inside after 5 runs: {string.Join(", ", pending)}");
            var roles = await _lab.RolesAsync();
            var newPrimary = promotes ? roles["slave"] : roles["master"];
            var timeline = await TimelineAsync(newPrimary);
            var beforeBreak = _writers[0].Now;
            if (breakCluster is not null) await breakCluster(roles);
            var from = _writers[0].Now;
            string runId;
            using (var op = _lab.Operator()) runId = await op.StartRunAsync(new { runbook, cluster = "lab", inputs = new { } });
            var killed = new List<string>();
            while (await matrix.KillInsideAsync(runId, pending) is { } node)
            {
                killed.Add(node);
                pending.Remove(node);
                await _lab.RestartAsync();
            }
            var run = await _lab.FinishAsync(runId);
            await matrix.CheckAsync(runbook, runId, run);
            var ran = run["journal"]!.AsArray().Select(j => j!["nodeId"]!.GetValue<string>()).ToHashSet();
            offPath.AddRange(pending.Where(n => !ran.Contains(n)));
            pending.RemoveAll(n => !ran.Contains(n));
            Log($"[crash] {runbook} run {pass}: killed inside {(killed.Count == 0 ? "no node" : string.Join(", ", killed))}; still to kill inside: {(pending.Count == 0 ? "none" : string.Join(", ", pending))}");

            Assert.Equal(promotes ? timeline + 1 : timeline, await TimelineAsync(newPrimary));
            foreach (var w in _writers) await w.WaitForCommitsAsync(20, TimeSpan.FromSeconds(60));
            await AssertOneWritableServerRoutedEverywhereAsync(newPrimary, promotes ? roles["master"] : roles["slave"], _writers, from, password,
                lostSince: breakCluster is not null && promotes ? beforeBreak : null);
            CrashMatrix.SameState(uninterrupted[newPrimary], await matrix.ComparableStateAsync(), $"{runbook} run {pass}");
        }
        if (offPath.Count > 0) matrix.Rows.Add($"{runbook} × {string.Join(", ", offPath.Distinct())}: on an abort branch, which an uninterrupted run does not take, so not killed inside here");
    }

    /// <summary>
    /// The abort branch of planned-failover, killed inside both of its mutating nodes: the slave cannot confirm the
    /// master's shutdown checkpoint (its WAL receiver stopped with SIGSTOP once the preflight has seen it streaming), so
    /// slave-has-checkpoint fails after its 30 s, and the runbook starts the old master again and resumes both
    /// pgbouncers, still routed to it. The run fails as the runbook says, the master kept its role and its timeline,
    /// the clients write to it again, and nothing acknowledged is lost.
    /// </summary>
    private async Task AbortedSwitchoverKilledInsideItsAbortNodesAsync(CrashMatrix matrix)
    {
        var password = _lab.Secrets["lab-app-password"];
        var roles = await _lab.RolesAsync();
        var (master, slave) = (roles["master"], roles["slave"]);
        var timeline = await TimelineAsync(master);
        var from = _writers[0].Now;
        string runId;
        using (var op = _lab.Operator())
        {
            runId = await op.StartRunAsync(new { runbook = "planned-failover", cluster = "lab", inputs = new { } });
            await op.WaitForRunAsync(runId, Http.Waiting, TimeSpan.FromMinutes(2));
        }
        var root = _lab.Host(slave, "devops");
        var receiver = (await root.ReadAsync(RemoteCommand.Bash("pgrep -f '^postgres: .*walreceiver'") with { Sudo = true })).Trim();
        Assert.Matches("^[0-9]+$", receiver);
        await root.RunAsync(RemoteCommand.Bash($"kill -STOP {receiver}") with { Sudo = true });
        JsonNode run;
        try
        {
            var abortNodes = new List<string> { "restart-master", "resume-after-abort" };
            while (abortNodes.Count > 0 && await matrix.KillInsideAsync(runId, abortNodes) is { } node)
            {
                abortNodes.Remove(node);
                await _lab.RestartAsync();
            }
            Assert.Empty(abortNodes);
            run = await _lab.EndAsync(runId);
        }
        finally
        {
            await root.RunAsync(RemoteCommand.Bash($"kill -CONT {receiver} 2>/dev/null || true") with { Sudo = true });
        }
        Assert.Equal("Failed", Http.Status(run));
        var nodes = run["nodes"]!.AsArray().ToDictionary(n => n!["nodeId"]!.GetValue<string>(), n => n!["state"]!.GetValue<string>());
        Assert.Equal(("Failed", "Succeeded", "Succeeded", "NotStarted"), (nodes["slave-has-checkpoint"], nodes["restart-master"], nodes["resume-after-abort"], nodes["promote"]));
        await matrix.CheckAsync("planned-failover (aborted)", runId, run);

        Assert.Equal(timeline, await TimelineAsync(master));
        foreach (var w in _writers) await w.WaitForCommitsAsync(20, TimeSpan.FromSeconds(60));
        await AssertOneWritableServerRoutedEverywhereAsync(master, slave, _writers, from, password);
        // The slave streams from the master again once its receiver runs.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (await _lab.PsqlAsync(master, $"SELECT count(*) FROM pg_stat_replication WHERE host(client_addr) = '{Address(slave)}' AND state = 'streaming'") != "1")
        {
            Assert.True(DateTime.UtcNow < deadline, $"{slave} does not stream from {master} again after the aborted switchover");
            await Task.Delay(250);
        }
        Log($"[crash] planned-failover aborted: the master kept its role; failed commits {string.Join(", ", _writers.Select(w => w.FailedSince(from)))}, " +
            $"longest gaps {string.Join(", ", _writers.Select(w => $"{w.LongestGap(from).TotalMilliseconds:0} ms"))}");
    }

    /// <summary>The server's current timeline (psql over ssh): a standby's WAL receiver's, a primary's WAL file name's.</summary>
    private async Task<int> TimelineAsync(string host) =>
        Convert.ToInt32(await _lab.PsqlAsync(host,
            "SELECT CASE WHEN pg_is_in_recovery() THEN (SELECT received_tli FROM pg_stat_wal_receiver)::bigint " +
            "ELSE ('x' || lpad(substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8), 16, '0'))::bit(64)::bigint END"), 10);

    private const string PauseWindowRunbook = """
        { "id": "crash-pause-window", "version": 1, "name": "Pause both pgbouncers, wait, resume", "start": "pause",
          "nodes": [
            { "id": "pause", "activity": "PausePgBouncer", "inputs": { "pgbouncerHosts": ["master", "slave"], "resumeByItselfAfterSeconds": 8 } },
            { "id": "wait", "activity": "Delay", "inputs": { "seconds": 20 } },
            { "id": "resume", "activity": "ResumePgBouncer", "inputs": { "pgbouncerHosts": ["master", "slave"], "expectTarget": "master" } } ],
          "connections": [ { "from": "pause", "outcome": "Done", "to": "wait" }, { "from": "wait", "outcome": "Done", "to": "resume" } ] }
        """;

    private static async Task<TimeSpan> WaitUntilCommittedAsync(HeldConnectionWriter writer, TimeSpan since, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            lock (writer.Acknowledged)
            {
                var commits = writer.Acknowledged.Select(a => a.At).Where(at => at > since).ToList();
                if (commits.Count > 0) return commits.Min() - since;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"writer {writer.Name} committed nothing within {timeout.TotalSeconds:0} s after the kill");
    }

    private async Task AssertOneWritableServerRoutedEverywhereAsync(string masterHost, string slaveHost, HeldConnectionWriter[] writers, TimeSpan from, string password,
        TimeSpan? lostSince = null)
    {
        var master = Address(masterHost);
        var slave = Address(slaveHost);
        Assert.Equal(new[] { masterHost, slaveHost }, new[] { (await _lab.RolesAsync())["master"], (await _lab.RolesAsync())["slave"] });
        Assert.Equal("f", await _lab.PsqlAsync(masterHost, "SELECT pg_is_in_recovery()"));
        Assert.Equal("t", await _lab.PsqlAsync(slaveHost, "SELECT pg_is_in_recovery()"));
        foreach (var bouncer in new[] { master, slave })
        {
            await using var c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder { Host = bouncer, Port = 6543, Database = "appdb", Username = "app", Password = password, Pooling = false, Timeout = 10, CommandTimeout = 10 }.ConnectionString);
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand("SELECT host(inet_server_addr())", c);
            Assert.Equal(master, (string)(await cmd.ExecuteScalarAsync())!);
        }
        foreach (var w in writers)
        {
            List<(long N, TimeSpan At, string Server)> acks;
            lock (w.Acknowledged) acks = w.Acknowledged.ToList();
            // Never two writable servers: once the new primary took a commit, the old one took none.
            var firstOnNew = acks.FindIndex(a => a.At >= from && a.Server == master);
            Assert.True(firstOnNew >= 0, $"{w.Name}: no commit reached the new primary {master}");
            Assert.DoesNotContain(acks.Skip(firstOnNew), a => a.Server != master);
            await using var c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder { Host = master, Port = 5432, Database = "appdb", Username = "app", Password = password, Pooling = false }.ConnectionString);
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand($"SELECT count(*) FROM unnest($1::bigint[]) a(n) WHERE NOT EXISTS (SELECT FROM {HeldConnectionWriter.Table} t WHERE t.writer = $2 AND t.n = a.n)", c)
            // Only this operation's acknowledgements: an earlier killed master may have taken a few of its own with it.
            { Parameters = { new() { Value = acks.Where(a => a.At >= (lostSince ?? from)).Select(a => a.N).ToArray() }, new() { Value = w.Name } } };
            var lost = (long)(await cmd.ExecuteScalarAsync())!;
            // A killed master takes what it committed after the slave's last received position with it (async replication).
            if (lostSince is not null) Log($"[crash] {w.Name}: {lost} row(s) acknowledged since just before the kill not on {masterHost} (the async window of the killed master)");
            else Assert.Equal(0L, lost);
        }
    }
}
