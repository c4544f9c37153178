using Npgsql;
using PgHa.Clusters;
using PgHa.Remote;
using PgHa.Workflows.Clusters;
using PgHa.Workflows.Runtime;
using PgHa.Workflows.Store.Entities;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace PgHa.Activities.Tests;

/// <summary>
/// The seed's "Planned Failover" section on real hosts: deploy, then switch over, fail back and switch over again
/// (and back, leaving the lab as it was found), while one application connection per pgbouncer commits a row every
/// 10 ms. After every stage a DBA's checks, straight to the servers: one writable server, both pgbouncers route to
/// it, the other streams from it, no acknowledged commit lost, writes after the switch reach the standby and the replica.
/// </summary>
[Collection(LabCollection.Name)]
public sealed class PlannedFailoverOnTheLabTests(LabDeploymentFixture lab, ITestOutputHelper output) : IClassFixture<LabDeploymentFixture>
{
    private void Log(string line)
    {
        output.WriteLine(line);
        Console.WriteLine(line);
    }

    private NpgsqlConnection Connect(string address, int port = 5432) =>
        new(new NpgsqlConnectionStringBuilder
        {
            Host = address, Port = port, Database = "appdb", Username = "app", Password = lab.Secret("appPassword"),
            Pooling = false, Timeout = 10, CommandTimeout = 20,
        }.ConnectionString);

    private async Task<T> ScalarAsync<T>(string address, string sql, int port = 5432)
    {
        await using var c = Connect(address, port);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }

    private async Task<ClusterInventory> StoredInventoryAsync() =>
        (await lab.Services.GetRequiredService<ClusterDirectory>().GetAsync("lab"))!;

    /// <summary>What psql on each host says, over ssh: the product's own probes are not asked.</summary>
    private async Task<string> PsqlOnHostAsync(string host, string sql) =>
        (await lab.Pool.Host(lab.Lab.Target(host, "silkcloud")).ReadAsync(RemoteCommand.Run("psql", "-X", "-qAt", "-d", "appdb", "-c", sql))).Trim();

    [Fact]
    public async Task Switch_over_fail_back_and_switch_over_again_with_writers_holding_their_connections()
    {
        await lab.EnsureDeployedAsync();
        var addresses = lab.Inventory.Hosts.ToDictionary(h => h.Name, h => h.Address);
        var original = await StoredInventoryAsync();
        await HeldConnectionWriter.CreateTableAsync(original.HostForRole("master")!.Address, lab.Secret("appPassword"));

        // A dry run first: it plans every step and changes nothing on any host.
        var before = await lab.HostStateAsync();
        var (plan, _) = await lab.RunAsync("planned-failover", TimeSpan.FromMinutes(3), dryRun: true);
        Assert.True(plan.Run.Status == RunStatus.Completed, LabDeploymentFixture.JournalText(plan));
        var planText = LabDeploymentFixture.JournalText(plan);
        foreach (var expected in new[] { "PAUSE on the admin console", "RESUME on the admin console", "pg_rewind", "rewrite pgha.env" })
            Assert.Contains(expected, planText);
        // The stop and the promotion are planned by their host scripts (PGHA_DRY_RUN=1), on the host each would change.
        Assert.Contains($"[plan] {original.Roles["master"]}: pg_ctl -D ", planText);
        Assert.Contains(" -m fast -W stop", planText);
        Assert.Contains($"[plan] {original.Roles["slave"]}: SQL on postgres: SELECT pg_promote(wait => false)", planText);
        // So are the pause guard, the Londiste root's move and the old master's rejoin.
        Assert.Contains($"[plan] {original.Roles["master"]}: start the watcher: setsid bash {original.Paths.Deployment}/pgbouncer_guard.sh watch ", planText);
        Assert.Contains($"[plan] {original.Roles["slave"]}: (assumes PostgreSQL on {original.Roles["slave"]} is promoted by then; it is a standby now)", planText);
        Assert.Contains($"[plan] {original.Roles["replica"]}: SQL on appdb: UPDATE pgq_node.node_location SET node_location = 'dbname=appdb host={original.HostForRole("slave")!.Address} ", planText);
        Assert.Contains($"[plan] {original.Roles["master"]}: pg_rewind -D {original.Paths.Data} --source-server=", planText);
        HostStateAssert.Unchanged(before, await lab.HostStateAsync(), "the dry run of planned-failover");
        Assert.Equal(original.Roles, (await StoredInventoryAsync()).Roles);

        await using var viaMaster = new HeldConnectionWriter("via-" + original.Roles["master"], original.HostForRole("master")!.Address, original.Ports.PgBouncer, lab.Secret("appPassword"));
        await using var viaSlave = new HeldConnectionWriter("via-" + original.Roles["slave"], original.HostForRole("slave")!.Address, original.Ports.PgBouncer, lab.Secret("appPassword"));
        HeldConnectionWriter[] writers = [viaMaster, viaSlave];
        foreach (var w in writers) await w.WaitForCommitsAsync(20, TimeSpan.FromSeconds(20));

        foreach (var stage in new[] { "failover", "failback", "failover again", "failback again" })
        {
            var roles = (await StoredInventoryAsync()).Roles;
            var from = writers[0].Now;
            var (run, took) = await lab.RunAsync("planned-failover", TimeSpan.FromMinutes(10));
            Assert.True(run.Run.Status == RunStatus.Completed, $"{stage}: " + LabDeploymentFixture.JournalText(run));
            foreach (var w in writers) await w.WaitForCommitsAsync(20, TimeSpan.FromSeconds(20));

            var pauseToResume = run.Nodes.Single(n => n.NodeId == "resume").EndedAt - run.Nodes.Single(n => n.NodeId == "pause").StartedAt;
            Log($"[{stage}] {roles["master"]} -> {roles["slave"]}: run {took.TotalSeconds:0.0} s, PAUSE..RESUME nodes {pauseToResume?.TotalMilliseconds:0} ms; " +
                string.Join("; ", writers.Select(w => $"{w.Name}: longest gap {w.LongestGap(from).TotalMilliseconds:0} ms, {w.FailedSince(from)} failed, {w.Connections} connection(s)")));
            if (stage == "failover")
                foreach (var entry in run.Journal.Where(j => j.NodeId is "pause" or "stop-master" or "slave-has-checkpoint" or "promote" or "switch" or "resume"))
                    Log($"[{stage}] --- {entry.NodeId} {entry.StartedAt:HH:mm:ss.fff} .. {entry.EndedAt:HH:mm:ss.fff}\n{entry.Log}");
            foreach (var w in writers)
            {
                Assert.True(w.FailedSince(from) == 0, $"{stage}: {w.Name} saw failed commits: {string.Join(" | ", w.Failed.Select(f => f.Error).Distinct())}");
                Assert.Equal(1, w.Connections);
            }

            var newMaster = addresses[roles["slave"]];
            var newSlave = addresses[roles["master"]];
            Assert.Equal(new Dictionary<string, string> { ["master"] = roles["slave"], ["slave"] = roles["master"], ["replica"] = roles["replica"] }, (await StoredInventoryAsync()).Roles);
            await AssertClusterAsync(stage, roles["slave"], newMaster, roles["master"], newSlave, addresses[roles["replica"]], writers);
        }
        Assert.Equal(original.Roles, (await StoredInventoryAsync()).Roles);
    }

    private async Task AssertClusterAsync(string stage, string masterName, string master, string slaveName, string slave, string replica, HeldConnectionWriter[] writers)
    {
        // Exactly one writable server, and the other streams from it.
        Assert.Equal("f", await PsqlOnHostAsync(masterName, "SELECT pg_is_in_recovery()"));
        Assert.Equal("t", await PsqlOnHostAsync(slaveName, "SELECT pg_is_in_recovery()"));
        Assert.Equal($"{slave}|streaming", await PsqlOnHostAsync(masterName, "SELECT host(client_addr) || '|' || state FROM pg_stat_replication"));
        // Both pgbouncers route to the new master, and every commit acknowledged after the switch came from it.
        foreach (var bouncer in new[] { master, slave })
            Assert.Equal(master, await ScalarAsync<string>(bouncer, "SELECT host(inet_server_addr())", port: 6543));
        foreach (var w in writers)
            lock (w.Acknowledged) Assert.Equal(master, w.Acknowledged[^1].Server);

        // No acknowledged commit is missing on the new master, and the standby has them too.
        foreach (var w in writers)
        {
            long[] acknowledged;
            lock (w.Acknowledged) acknowledged = w.Acknowledged.Select(a => a.N).ToArray();
            var present = new HashSet<long>();
            await using (var c = Connect(master))
            {
                await c.OpenAsync();
                await using var cmd = new NpgsqlCommand($"SELECT n FROM {HeldConnectionWriter.Table} WHERE writer = $1", c) { Parameters = { new() { Value = w.Name } } };
                await using var r = await cmd.ExecuteReaderAsync();
                while (await r.ReadAsync()) present.Add(r.GetInt64(0));
            }
            var lost = acknowledged.Where(n => !present.Contains(n)).ToList();
            Log($"[{stage}] {w.Name}: {acknowledged.Length} acknowledged, {lost.Count} lost");
            Assert.Empty(lost);
        }
        var last = writers[0].Acknowledged[^1].N;
        Assert.True(await EventuallyAsync(async () => await ScalarAsync<long>(slave, $"SELECT count(*) FROM {HeldConnectionWriter.Table} WHERE writer = '{writers[0].Name}' AND n >= {last}") > 0, TimeSpan.FromSeconds(15)),
            $"{stage}: a commit acknowledged by the new master did not reach the standby {slave}");

        // Through Londiste: a row written now on the new master reaches the replica.
        var token = $"e2e-{stage.Replace(' ', '-')}-{Guid.NewGuid():N}";
        await using (var c = Connect(master, 6543))
        {
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand("INSERT INTO pgha_smoke.tokens (token, written_on) VALUES ($1, 'e2e')", c) { Parameters = { new() { Value = token } } };
            await cmd.ExecuteNonQueryAsync();
        }
        Assert.True(await EventuallyAsync(async () => await ScalarAsync<long>(replica, $"SELECT count(*) FROM pgha_smoke.tokens WHERE token = '{token}'") == 1, TimeSpan.FromSeconds(60)),
            $"{stage}: a row written on the new master did not reach the replica via Londiste");
    }

    /// <summary>Data folders, config files, crontabs, processes and pgbouncer routes of every host, as text to compare.</summary>
    private static async Task<bool> EventuallyAsync(Func<Task<bool>> check, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            try { if (await check()) return true; } catch (NpgsqlException) { }
            await Task.Delay(250);
        }
        return false;
    }
}
