using System.Runtime.Versioning;
using PgHa.Activities.Tests;
using PgHa.Clusters;
using PgHa.Remote;
using Xunit.Abstractions;

namespace PgHa.Server.Tests;

/// <summary>
/// The crash matrix of the runbooks that build a cluster (environment preparation, deployment preparation,
/// deployment): each runs through a real server process that is SIGKILLed inside every mutating node, at the node's
/// first line of host output (its remote work in progress), and replaced by a new process on the same store. Every
/// run completes, no node that had completed runs again, a resumed attempt never runs beside the one the dead server
/// left on the host (ps right after the kill; the attempt lock's PGHA_ATTEMPT lines), and the cluster ends as an
/// uninterrupted run of the same runbooks left it: the same host state over ssh, and a row written on the master
/// reaches the slave and the Londiste replica (psql on each host).
/// </summary>
[Collection(LabCollection.Name)]
[SupportedOSPlatform("linux")]
public sealed class DeploymentCrashTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly string[] Runbooks = ["environment-preparation", "deployment-preparation", "deployment"];
    private ServerOnTheLab _lab = null!;
    private ClusterInventory _inventory = null!;

    private void Log(string line)
    {
        output.WriteLine(line);
        Console.WriteLine(line);
    }

    public async Task InitializeAsync()
    {
        _lab = await ServerOnTheLab.StartAsync();
        _inventory = ClusterInventory.FromJson(await File.ReadAllTextAsync(_lab.Lab.InventoryFile));
    }

    public async Task DisposeAsync() => await _lab.DisposeAsync();

    [Fact]
    public async Task Runbooks_that_build_the_cluster_killed_inside_every_mutating_node_complete_as_an_uninterrupted_run_would()
    {
        foreach (var runbook in Runbooks)
            Assert.Equal("Completed", Http.Status(await _lab.RunToEndAsync(runbook, new { })));
        var matrix = new CrashMatrix(_lab);
        var reference = await matrix.ComparableStateAsync();

        foreach (var runbook in Runbooks)
        {
            var targets = await matrix.MutatingNodesAsync(runbook);
            string runId;
            using (var op = _lab.Operator()) runId = await op.StartRunAsync(new { runbook, cluster = "lab", inputs = new { } });

            string? held = null;
            for (var i = 0; i < targets.Count; i++)
            {
                var node = targets[i];
                var release = held is null ? null : (Func<Task>)(() => matrix.ReleaseAttemptLockAsync(runId, held));
                Assert.True(await matrix.KillInsideAsync(runId, [node], release) == node, $"{runbook}: node {node} ended before its host output was seen; no kill inside it");
                // The next server resumes the run while it starts, before this test can follow it: the next target
                // waits on its attempt lock (held here as an earlier attempt would) until the test follows again.
                held = i + 1 < targets.Count ? targets[i + 1] : null;
                if (held is not null) await matrix.HoldAttemptLockAsync(runId, held);
                await _lab.RestartAsync();
            }
            var run = await _lab.FinishAsync(runId);
            await matrix.CheckAsync(runbook, runId, run);
            Log($"[crash] {runbook}: {run["run"]!["status"]}");
        }
        Log("[crash] crash matrix (runbook × mutating node):\n  " + string.Join("\n  ", matrix.Rows));

        CrashMatrix.SameState(reference, await matrix.ComparableStateAsync(), "after the crashes");
        await AssertReplicatesEndToEndAsync();
    }

    /// <summary>A row written on the master (psql there) reaches the slave by streaming and the replica by Londiste.</summary>
    private async Task AssertReplicatesEndToEndAsync()
    {
        var token = "crash-matrix-" + Guid.NewGuid().ToString("N");
        await Psql("master", $"INSERT INTO pgha_smoke.tokens (token, written_on) VALUES ('{token}', 'crash matrix')");
        foreach (var role in new[] { "slave", "replica" })
        {
            var deadline = DateTime.UtcNow.AddSeconds(90);
            while (await Psql(role, $"SELECT count(*) FROM pgha_smoke.tokens WHERE token = '{token}'") != "1")
            {
                Assert.True(DateTime.UtcNow < deadline, $"the row written on the master did not reach the {role} within 90 s");
                await Task.Delay(500);
            }
        }
    }

    private Task<string> Psql(string role, string sql) => _lab.PsqlAsync(_inventory.HostForRole(role)!.Name, sql);

}
