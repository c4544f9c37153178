using System.Diagnostics;
using Npgsql;
using PgHa.Activities.PgBouncer;
using PgHa.Clusters;
using PgHa.Remote;
using PgHa.Workflows.Clusters;
using PgHa.Workflows.Store.Entities;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace PgHa.Activities.Tests;

/// <summary>
/// The seed runbooks end to end on real hosts, one stage per test in the runbook's order: prepare the environment
/// (resuming a half-made SSH key), prepare the deployment (purge only after approval), deploy with the master's port
/// taken (the run stops at setup-master), deploy (checked as a DBA would, independently of the product's probes, and
/// against the plan of a dry run on the same hosts), deploy again, switch both pgbouncers to the slave and back under
/// load, and refuse a purge while the live role is unknown. Each stage needs the cluster the one before it leaves.
/// </summary>
[Collection(LabCollection.Name)]
[TestCaseOrderer(StageOrderer.TypeName, StageOrderer.AssemblyName)]
public sealed class DeploymentOnTheLabTests(LabDeploymentFixture lab, RunbookStages stages, ITestOutputHelper output)
    : IClassFixture<LabDeploymentFixture>, IClassFixture<RunbookStages>
{
    private const string BlockerPidFile = "/tmp/pgha-port-blocker.pid";
    private const string EnvironmentPrepared = "environment prepared";
    private const string DeploymentPrepared = "deployment prepared";
    private const string BlockedDeploymentFailed = "deployment refused on a taken port";
    private const string Deployed = "deployed";
    private const string DeployedAgain = "deployed again";

    private string MasterAddress => lab.Inventory.HostForRole("master")!.Address;
    private string SlaveAddress => lab.Inventory.HostForRole("slave")!.Address;
    private string ReplicaAddress => lab.Inventory.HostForRole("replica")!.Address;

    private NpgsqlConnection Connect(string address, int port, string database = "appdb") =>
        new(new NpgsqlConnectionStringBuilder
        {
            Host = address, Port = port, Database = database, Username = "app", Password = lab.Secret("appPassword"),
            Pooling = false, Timeout = 10, CommandTimeout = 10,
        }.ConnectionString);

    private async Task<T> ScalarAsync<T>(string address, int port, string sql, params object[] args)
    {
        await using var c = Connect(address, port);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c);
        foreach (var a in args) cmd.Parameters.Add(new NpgsqlParameter { Value = a });
        return (T)(await cmd.ExecuteScalarAsync())!;
    }

    private async Task<bool> EventuallyAsync(Func<Task<bool>> check, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            try { if (await check()) return true; } catch (NpgsqlException) { }
            await Task.Delay(250);
        }
        return false;
    }

    private void Log(string line)
    {
        output.WriteLine(line);
        Console.WriteLine(line);
    }

    [Fact, Stage(1)]
    public async Task Environment_preparation_plans_without_changing_anything_then_completes_a_half_made_ssh_key()
    {
        // As if ssh-keygen had been killed between its two files: the master's private key is there, its .pub is not.
        var publicKey = await lab.Host("master").ReadAsync(RemoteCommand.Bash("cut -d' ' -f1,2 ~/.ssh/id_ed25519.pub && rm ~/.ssh/id_ed25519.pub"));
        var envPlan = await PlanChangesNothingAsync("environment-preparation");
        Planned(envPlan, "ssh-keys", "[plan] pgha-master: write /home/silkcloud/.ssh/id_ed25519.pub (mode 644)");
        var (env, envTook) = await lab.RunAsync("environment-preparation", TimeSpan.FromMinutes(10));
        Assert.True(env.Run.Status == RunStatus.Completed, LabDeploymentFixture.JournalText(env));
        Assert.Equal(publicKey, await lab.Host("master").ReadAsync(RemoteCommand.Bash("cut -d' ' -f1,2 ~/.ssh/id_ed25519.pub")));
        Log($"[timing] environment-preparation {envTook.TotalSeconds:0.0} s");
        stages.Passed(EnvironmentPrepared);
    }

    [Fact, Stage(2)]
    public async Task Deployment_preparation_purges_the_hosts_only_after_a_second_person_approves()
    {
        stages.Require(EnvironmentPrepared);
        var prepPlan = await PlanChangesNothingAsync("deployment-preparation");
        Planned(prepPlan, "credentials", "[plan] pgha-master: write /home/silkcloud/.pgpass (mode 600");
        Planned(prepPlan, "credentials", "content not shown");
        foreach (var secret in lab.SecretValues.Values) Assert.DoesNotContain(secret, LabDeploymentFixture.JournalText(prepPlan));
        var (prep, prepTook) = await lab.RunAsync("deployment-preparation", TimeSpan.FromMinutes(5));
        Assert.True(prep.Run.Status == RunStatus.Completed, LabDeploymentFixture.JournalText(prep));
        // Nothing was purged before a person approved, and the question named the hosts from the inventory.
        var purgeApproval = Assert.Single(prep.Approvals);
        Assert.Equal(("approve-purge", "Approved", "e2e-approver"), (purgeApproval.NodeId, purgeApproval.Decision, purgeApproval.DecidedBy));
        Assert.Contains("pgha-master (master, 10.77.0.11)", purgeApproval.Prompt);
        Assert.True(prep.Journal.Single(j => j.NodeId == "purge-master").StartedAt >= purgeApproval.DecidedAt);
        Log($"[timing] deployment-preparation {prepTook.TotalSeconds:0.0} s");
        stages.Passed(DeploymentPrepared);
    }

    [Fact, Stage(3)]
    public async Task Deployment_stops_at_setup_master_while_another_process_holds_the_master_port()
    {
        stages.Require(DeploymentPrepared);
        var deployPlan = await PlanChangesNothingAsync("deployment");
        Planned(deployPlan, "setup-master", $"[plan] pgha-master: initdb -D {lab.Inventory.Paths.Data}.pgha-initdb --data-checksums");
        Planned(deployPlan, "setup-slave", "[plan] pgha-slave: pg_basebackup");
        Planned(deployPlan, "cron-master", "[plan] pgha-master: crontab of silkcloud: add");

        await lab.Host("master").RunAsync(RemoteCommand.Bash(
            $"setsid -f sh -c 'echo $$ > {BlockerPidFile}; exec python3 -c \"import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((\\\"0.0.0.0\\\", 5432)); s.listen(); time.sleep(600)\"' </dev/null >/dev/null 2>&1; " +
            "for i in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null && exit 0; sleep 0.1; done; echo 'the port blocker never listened' >&2; exit 1"));
        RunViewAssertions failed;
        try
        {
            var (blocked, blockedTook) = await lab.RunAsync("deployment", TimeSpan.FromMinutes(5));
            failed = new RunViewAssertions(blocked);
            Log($"[timing] deployment with the port occupied: {blocked.Run.Status} in {blockedTook.TotalSeconds:0.0} s");
        }
        finally
        {
            await lab.Host("master").RunAsync(RemoteCommand.Bash($"kill \"$(cat {BlockerPidFile})\"; rm -f {BlockerPidFile}") with { ThrowOnFailure = false });
        }
        Assert.Equal(RunStatus.Failed, failed.Run.Run.Status);
        Assert.Equal("Failed", failed.Node("setup-master").Outcome);
        Assert.Contains("already in use", failed.Node("setup-master").Error);
        Assert.Contains("already in use", failed.Journal("setup-master"));
        Assert.DoesNotContain(failed.Run.Journal, j => j.NodeId != "setup-master");
        stages.Passed(BlockedDeploymentFailed);
    }

    [Fact, Stage(4)]
    public async Task Deployment_builds_the_master_its_streaming_slave_and_the_Londiste_replica_making_only_the_changes_its_dry_run_planned()
    {
        stages.Require(BlockedDeploymentFailed);
        var (master, slave, replica) = (MasterAddress, SlaveAddress, ReplicaAddress);
        // The plan of a dry run on exactly the hosts the real run starts from (the refused run left an initialised master).
        var deployPlan = await PlanChangesNothingAsync("deployment");
        var (deploy, deployTook) = await lab.RunAsync("deployment", TimeSpan.FromMinutes(10));
        Assert.True(deploy.Run.Status == RunStatus.Completed, LabDeploymentFixture.JournalText(deploy));
        Log($"[timing] deployment {deployTook.TotalSeconds:0.0} s");
        DidWhatItsPlanSaid(deployPlan, deploy);

        // Independent checks, straight to the servers.
        await using (var c = Connect(master, 5432))
        {
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand("SELECT host(client_addr), state FROM pg_stat_replication", c);
            await using var r = await cmd.ExecuteReaderAsync();
            Assert.True(await r.ReadAsync(), "no row in pg_stat_replication on the master");
            Assert.Equal((slave, "streaming"), (r.GetString(0), r.GetString(1)));
        }
        Assert.True(await ScalarAsync<bool>(slave, 5432, "SELECT pg_is_in_recovery()"));
        Assert.False(await ScalarAsync<bool>(replica, 5432, "SELECT pg_is_in_recovery()"));
        Assert.Equal("on", await ScalarAsync<string>(master, 5432, "SHOW data_checksums"));

        foreach (var role in new[] { "master", "slave" })
        {
            var files = await lab.Host(role).ReadAsync(RemoteCommand.Bash($"ls -1 {lab.Inventory.Paths.Archive} | grep -cE '^[0-9A-F]{{24}}$' || true"));
            Log($"[check] WAL segments in the archive on {role}: {files}");
            Assert.True(int.Parse(files) > 0, $"no archived WAL segment on {role}");
        }

        var token = stages.Token;
        foreach (var bouncer in new[] { master, slave })
        {
            Assert.Equal(master, await ScalarAsync<string>(bouncer, 6543, "SELECT host(inet_server_addr())"));
            Assert.Equal(1, await ScalarAsync<int>(bouncer, 6543,
                "WITH i AS (INSERT INTO pgha_smoke.tokens (token, written_on) VALUES ($1, $2) RETURNING 1) SELECT count(*)::int FROM i", token + "-" + bouncer, "e2e via pgbouncer"));
        }
        Assert.True(await EventuallyAsync(async () => await ScalarAsync<long>(slave, 5432, "SELECT count(*) FROM pgha_smoke.tokens WHERE token LIKE $1", token + "%") == 2, TimeSpan.FromSeconds(30)),
            "rows written through the pgbouncers did not reach the slave");
        var clock = Stopwatch.StartNew();
        Assert.True(await EventuallyAsync(async () => await ScalarAsync<long>(replica, 5432, "SELECT count(*) FROM pgha_smoke.tokens WHERE token LIKE $1", token + "%") == 2, TimeSpan.FromSeconds(90)),
            "rows written on the master did not reach the replica through Londiste");
        Log($"[check] Londiste delivered to the replica in {clock.Elapsed.TotalSeconds:0.0} s");
        stages.Passed(Deployed);
    }

    [Fact, Stage(5)]
    public async Task Deployment_again_converges_on_the_deployed_cluster_and_every_dry_run_there_changes_nothing()
    {
        stages.Require(Deployed);
        var (again, againTook) = await lab.RunAsync("deployment", TimeSpan.FromMinutes(10));
        Assert.True(again.Run.Status == RunStatus.Completed, LabDeploymentFixture.JournalText(again));
        Assert.Contains("already holds the master's cluster; converging", new RunViewAssertions(again).Journal("setup-master"));
        Assert.Contains("already a standby of", new RunViewAssertions(again).Journal("setup-slave"));
        var token = stages.Token;
        foreach (var host in new[] { MasterAddress, SlaveAddress, ReplicaAddress })
            Assert.Equal(2L, await ScalarAsync<long>(host, 5432, "SELECT count(*) FROM pgha_smoke.tokens WHERE token LIKE $1", token + "%"));
        Log($"[timing] deployment again {againTook.TotalSeconds:0.0} s");

        // Every runbook plans again on the deployed cluster (the converging paths) without changing anything.
        foreach (var runbook in new[] { "environment-preparation", "deployment-preparation", "deployment" })
            await PlanChangesNothingAsync(runbook);
        stages.Passed(DeployedAgain);
    }

    [Fact, Stage(6)]
    public async Task Both_pgbouncers_switch_to_the_slave_and_back_in_pause_mode_while_clients_connect()
    {
        stages.Require(DeployedAgain);
        await SwitchPgBouncersUnderReadLoadAsync(MasterAddress, SlaveAddress);
    }

    [Fact, Stage(7)]
    public async Task A_purge_is_refused_while_the_master_postmaster_refuses_connections()
    {
        stages.Require(DeployedAgain);
        await PurgeIsRefusedWhileThePostmasterRefusesConnectionsAsync();
    }

    // Every change the real run made (its "[change]" lines) was in the dry run's plan, node by node, in the same words.
    private void DidWhatItsPlanSaid(PgHa.Workflows.Runtime.RunView plan, PgHa.Workflows.Runtime.RunView real)
    {
        var catalog = lab.Services.GetRequiredService<PgHa.Workflows.Activities.ActivityCatalog>();
        var planned = JournalChanges.Read(plan, JournalChanges.Planned, catalog);
        var made = JournalChanges.Read(real, JournalChanges.Made, catalog);
        var (notPlanned, notMade) = JournalChanges.Compare(planned, made);
        Log($"[check] {real.Run.RunbookId}: {made.Count} change(s) made, {planned.Count} planned, {made.Count - notPlanned.Count} made as planned");
        foreach (var (node, change) in notMade) Log($"[check]   planned, not made: {node}: {change}");
        Assert.NotEmpty(made);
        Assert.True(notPlanned.Count == 0, "changes the real run made that its dry run did not plan:\n" +
            string.Join("\n", notPlanned.Select(c => $"  {c.Node}: {c.Change}")) + "\nthe plan:\n" + string.Join("\n", planned.Select(c => $"  {c.Node}: {c.Change}")));
        // What the real run did not do again is a change the dry run planned twice, because an earlier node only
        // planned it (a folder setup-slave creates, planned again by cron-slave).
        foreach (var (node, change) in notMade)
            Assert.True(made.Any(m => m.Change == change), $"{node} planned '{change}', which the real run did not make anywhere");
    }

    private static void Planned(PgHa.Workflows.Runtime.RunView plan, string node, string change)
    {
        var journal = new RunViewAssertions(plan).Journal(node);
        Assert.True(journal.Contains(change, StringComparison.Ordinal), $"the plan of {node} lacks '{change}':\n{journal}");
    }

    // A dry run completes and leaves every host as it was (compared over SSH, before and after).
    private async Task<PgHa.Workflows.Runtime.RunView> PlanChangesNothingAsync(string runbook)
    {
        var before = await lab.HostStateAsync();
        var (plan, took) = await lab.RunAsync(runbook, TimeSpan.FromMinutes(5), dryRun: true);
        Assert.True(plan.Run.Status == RunStatus.Completed, LabDeploymentFixture.JournalText(plan));
        HostStateAssert.Unchanged(before, await lab.HostStateAsync(), $"the dry run of {runbook}");
        Log($"[timing] dry run of {runbook}: {took.TotalSeconds:0.0} s, host state unchanged");
        return plan;
    }

    private const string PurgeMasterRunbook = """
        { "id": "e2e-purge-master", "version": 1, "name": "purge the master (must be refused)", "start": "purge",
          "nodes": [ { "id": "purge", "activity": "RunRemoteScript", "inputs": { "hosts": ["master"], "script": "purge_master.sh" } } ],
          "connections": [] }
        """;

    // live_role is unknown when the postmaster runs but refuses connections: the purge guard must refuse, not pass.
    private async Task PurgeIsRefusedWhileThePostmasterRefusesConnectionsAsync()
    {
        var data = lab.Inventory.Paths.Data;
        var master = lab.Host("master");
        await master.RunAsync(RemoteCommand.Bash(
            $"cp {data}/pg_hba.conf /tmp/pgha-e2e-hba && printf 'local all all reject\nhost all all 0.0.0.0/0 reject\n' > {data}/pg_hba.conf " +
            $"&& /usr/lib/postgresql/15/bin/pg_ctl -D {data} reload"));
        try
        {
            await lab.Runtime.Runbooks.SaveAsync(PurgeMasterRunbook, "e2e", asNextVersion: false, published: true);
            var (purge, _) = await lab.RunAsync("e2e-purge-master", TimeSpan.FromMinutes(2));
            Assert.Equal(RunStatus.Failed, purge.Run.Status);
            Assert.Contains("whether it is a primary or a standby is unknown; refusing to purge", new RunViewAssertions(purge).Node("purge").Error);
            Assert.Equal("running", await master.ReadAsync(RemoteCommand.Bash(
                $"test -f {data}/PG_VERSION && /usr/lib/postgresql/15/bin/pg_ctl -D {data} status >/dev/null && echo running")));
        }
        finally
        {
            await master.RunAsync(RemoteCommand.Bash($"cp /tmp/pgha-e2e-hba {data}/pg_hba.conf && rm -f /tmp/pgha-e2e-hba && /usr/lib/postgresql/15/bin/pg_ctl -D {data} reload"));
        }
    }

    // Both pgbouncers to the slave and back in pause mode, as a switchover will, while clients keep connecting
    // through them; a dry run of the first switch before, which must change nothing.
    private const string PlanRunbook = """
        { "id": "e2e-pgbouncer-plan", "version": 1, "name": "pgbouncers to the slave (planned only)", "start": "to-slave",
          "nodes": [ { "id": "to-slave", "activity": "SwitchPgBouncer", "inputs": { "pgbouncerHosts": ["master", "slave"], "target": "slave", "mode": "pause" } } ],
          "connections": [] }
        """;

    private const string SwitchRunbook = """
        { "id": "e2e-pgbouncer-switch", "version": 1, "name": "pgbouncers to the slave and back", "start": "to-slave",
          "nodes": [
            { "id": "to-slave", "activity": "SwitchPgBouncer", "inputs": { "pgbouncerHosts": ["master", "slave"], "target": "slave", "mode": "pause" } },
            { "id": "check-slave", "activity": "CheckCluster", "inputs": { "expect": { "master": "primary", "slave": "standby" }, "pgbouncerHosts": ["master", "slave"], "pgbouncerTarget": "slave" } },
            { "id": "to-master", "activity": "SwitchPgBouncer", "inputs": { "pgbouncerHosts": ["master", "slave"], "target": "master", "mode": "pause" } } ],
          "connections": [
            { "from": "to-slave", "outcome": "Done", "to": "check-slave" },
            { "from": "check-slave", "outcome": "Done", "to": "to-master" } ] }
        """;

    private async Task SwitchPgBouncersUnderReadLoadAsync(string master, string slave)
    {
        await lab.Runtime.Runbooks.SaveAsync(PlanRunbook, "e2e", asNextVersion: false, published: true);
        await lab.Runtime.Runbooks.SaveAsync(SwitchRunbook, "e2e", asNextVersion: false, published: true);
        var iniPath = PgBouncerLayout.IniFile(lab.Inventory);
        var iniBefore = await lab.Host("master", "devops").ReadAsync(RemoteCommand.Run("cat", iniPath) with { Sudo = true });

        var (plan, _) = await lab.RunAsync("e2e-pgbouncer-plan", TimeSpan.FromMinutes(2), dryRun: true);
        Assert.True(plan.Run.Status == RunStatus.Completed, LabDeploymentFixture.JournalText(plan));
        var planned = new RunViewAssertions(plan).Journal("to-slave");
        Assert.Contains($"[plan] pgha-master: write {iniPath}", planned);
        Assert.Contains($"host={slave}", planned);
        Assert.Contains("[plan] pgha-slave: PAUSE, RELOAD, RESUME", planned);
        Assert.Equal(iniBefore, await lab.Host("master", "devops").ReadAsync(RemoteCommand.Run("cat", iniPath) with { Sudo = true }));
        foreach (var bouncer in new[] { master, slave })
            Assert.Equal(master, await ScalarAsync<string>(bouncer, 6543, "SELECT host(inet_server_addr())"));

        // Each client connects anew (as an application after a switch would) and reads which server it reached.
        using var stop = new CancellationTokenSource();
        var loads = new[] { master, slave }.Select(bouncer => new ReadLoad(bouncer)).ToList();
        var load = loads.Select(stats => Task.Run(async () =>
        {
            var bouncer = stats.Bouncer;
            while (!stop.IsCancellationRequested)
            {
                var clock = Stopwatch.StartNew();
                try
                {
                    stats.Reached.Add(await ScalarAsync<string>(bouncer, 6543, "SELECT host(inet_server_addr())"));
                    stats.Succeeded++;
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException)
                {
                    stats.Failures.Add(e.Message);
                }
                stats.Slowest = TimeSpan.FromTicks(Math.Max(stats.Slowest.Ticks, clock.Elapsed.Ticks));
                await Task.Delay(20);
            }
            return stats;
        })).ToList();

        (PgHa.Workflows.Runtime.RunView Run, TimeSpan Took) switched;
        try
        {
            // Clients are connecting through both pgbouncers before the switch, and still after it.
            await ClientsConnectAsync(loads, 5);
            switched = await lab.RunAsync("e2e-pgbouncer-switch", TimeSpan.FromMinutes(3));
            await ClientsConnectAsync(loads, 5);
        }
        finally
        {
            await stop.CancelAsync();
        }
        var results = await Task.WhenAll(load);

        Assert.True(switched.Run.Run.Status == RunStatus.Completed, LabDeploymentFixture.JournalText(switched.Run));
        var toSlave = new RunViewAssertions(switched.Run).Journal("to-slave");
        foreach (var step in new[] { "PAUSE", "RELOAD", "RESUME" }) Assert.Contains(step, toSlave);
        Assert.Contains($"reaches {slave} (in recovery: True)", toSlave);
        Assert.Contains($"reaches {master} (in recovery: False), write accepted", new RunViewAssertions(switched.Run).Journal("to-master"));
        foreach (var r in results)
        {
            Log($"[check] clients through pgbouncer on {r.Bouncer}: {r.Succeeded} connected, {r.Failures.Count} failed, slowest {r.Slowest.TotalMilliseconds:0} ms, reached {string.Join(", ", r.Reached.Distinct())}");
            Assert.Empty(r.Failures);
            Assert.Contains(slave, r.Reached);
            Assert.Equal(master, r.Reached[^1]);
        }
        foreach (var bouncer in new[] { master, slave })
            Assert.Equal(master, await ScalarAsync<string>(bouncer, 6543, "SELECT host(inet_server_addr())"));
        Log($"[timing] pgbouncers to the slave and back under load: {switched.Took.TotalSeconds:0.0} s");
    }

    private static async Task ClientsConnectAsync(IReadOnlyList<ReadLoad> loads, int more)
    {
        var targets = loads.Select(l => l.Succeeded + more).ToList();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (loads.Where((l, i) => l.Succeeded < targets[i]).Any())
        {
            Assert.True(DateTime.UtcNow < deadline, "clients stopped connecting through the pgbouncers: " +
                string.Join("; ", loads.Select(l => $"{l.Bouncer}: {l.Succeeded} ok, last failure {l.Failures.LastOrDefault()}")));
            await Task.Delay(20);
        }
    }

    private sealed class ReadLoad(string bouncer)
    {
        public string Bouncer { get; } = bouncer;
        public List<string> Reached { get; } = new();
        public List<string> Failures { get; } = new();
        // Read by the test while the load task writes it.
        private int _succeeded;
        public int Succeeded { get => Volatile.Read(ref _succeeded); set => Volatile.Write(ref _succeeded, value); }
        public TimeSpan Slowest { get; set; }
    }

    [Fact]
    public async Task A_bad_inventory_is_rejected_before_any_host_is_touched()
    {
        var directory = (ClusterDirectory)lab.Services.GetService(typeof(ClusterDirectory))!;
        var good = lab.Inventory;
        var noReplica = good with { Id = "bad-replica", Roles = new Dictionary<string, string> { ["master"] = good.Roles["master"], ["slave"] = good.Roles["slave"], ["replica"] = "no-such-host" } };
        var badPort = good with { Id = "bad-port", Ports = good.Ports with { Postgres = 70000 } };
        foreach (var bad in new[] { noReplica, badPort })
        {
            var e = await Assert.ThrowsAsync<ClusterValidationException>(() => directory.ImportAsync(bad.ToJson(), "e2e"));
            Log($"[check] {bad.Id} rejected: {e.Message}");
            Assert.Null(await directory.GetAsync(bad.Id));
            await Assert.ThrowsAnyAsync<Exception>(() => lab.Runtime.StartRunAsync(new PgHa.Workflows.Runtime.StartRunRequest { RunbookId = "deployment", ClusterId = bad.Id, StartedBy = "e2e" }));
        }
    }
}

internal sealed class RunViewAssertions(PgHa.Workflows.Runtime.RunView run)
{
    public PgHa.Workflows.Runtime.RunView Run { get; } = run;
    public PgHa.Workflows.Runtime.NodeStateView Node(string id) => Run.Nodes.Single(n => n.NodeId == id);
    public string Journal(string id) => string.Join("\n", Run.Journal.Where(j => j.NodeId == id).Select(j => j.Log + "\n" + j.Error));
}
