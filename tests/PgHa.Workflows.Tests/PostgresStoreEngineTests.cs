using Microsoft.Extensions.DependencyInjection;
using PgHa.ThrowawayPostgres;
using PgHa.Workflows.Clusters;
using PgHa.Workflows.Runtime;
using PgHa.Workflows.Store;
using PgHa.Workflows.Store.Entities;
using static PgHa.Workflows.Tests.Runbooks;

namespace PgHa.Workflows.Tests;

/// <summary>The engine on a real PostgreSQL 15 store, one node and two nodes sharing the database.</summary>
public sealed class PostgresStoreEngineTests(PostgresServer server) : IClassFixture<PostgresServer>
{
    // Built-in activities only: Log, an approval gate, then Fork/Join.
    private static readonly string Gated = Json("pg-gated",
        [("hello", "Log", new { message = "starting" }), ("approve", "WaitForApproval", new { prompt = "Promote?" }),
         ("fork", "Fork", null), ("left", "Log", new { message = "left branch" }), ("right", "Log", new { message = "right branch" }),
         ("join", "Join", null), ("bye", "Log", new { message = "done" }), ("stop", "Log", new { message = "rejected" })],
        ["hello -Done-> approve", "approve -Approved-> fork", "approve -Rejected-> stop", "fork -Done-> left", "fork -Done-> right",
         "left -Done-> join", "right -Done-> join", "join -Done-> bye"]);

    [Fact]
    public async Task A_runbook_with_fork_join_and_an_approval_runs_to_completion_on_the_postgres_store()
    {
        var cs = server.CreateDatabase("engine");
        await using var node = await EngineHarness.StartAsync(store: new StoreLocation.Postgres(cs));
        Assert.IsType<PostgresAdvisoryLockProvider>(Assert.IsType<PgHa.Workflows.Runtime.HeldWorkflowLocks>(node.Services.GetRequiredService<WorkflowCore.Interface.IDistributedLockProvider>()).Inner);
        await node.Runtime.Runbooks.SaveAsync(Gated, "test", asNextVersion: false, published: true);

        var runId = (await node.StartAsync("pg-gated")).Run.RunId;
        await node.WaitUntilAsync(runId, r => r.Run.WaitingForApproval);
        await node.Runtime.DecideAsync(runId, "approve", ApprovalChoice.Approve, new Decider("alice", ["approver"]), "looks good");
        var run = await node.WaitUntilAsync(runId, r => RunStatus.IsFinished(r.Run.Status));

        Assert.Equal(RunStatus.Completed, run.Run.Status);
        foreach (var id in new[] { "hello", "left", "right", "bye" })
            Assert.Single(run.Journal, j => j.NodeId == id && j.Status == JournalStatus.Succeeded);
        Assert.DoesNotContain(run.Journal, j => j.NodeId == "stop");
        Assert.Single(run.Journal, j => j.NodeId == "join" && j.Status == JournalStatus.Succeeded);
        Assert.Equal(("Approved", "alice"), (run.Approvals.Single().Decision, run.Approvals.Single().DecidedBy));
        // It really is in PostgreSQL, schema pgha.
        Assert.Equal(RunStatus.Completed, PostgresServer.Scalar(cs, $"SELECT \"Status\" FROM pgha.\"Runs\" WHERE \"RunId\" = '{runId}'"));
    }

    [Fact]
    public async Task Two_nodes_sharing_the_database_run_every_run_once_and_either_node_can_approve()
    {
        var cs = server.CreateDatabase("engine");
        await using var a = await EngineHarness.StartAsync(store: new StoreLocation.Postgres(cs));
        // Saved before node B starts: a node registers the stored runbooks when it starts.
        await a.Runtime.Runbooks.SaveAsync(Gated, "test", asNextVersion: false, published: true);
        await using var b = await EngineHarness.StartAsync(store: new StoreLocation.Postgres(cs));

        var runIds = new List<string>();
        for (var i = 0; i < 6; i++)
            runIds.Add((await (i % 2 == 0 ? a : b).StartAsync("pg-gated")).Run.RunId);
        for (var i = 0; i < runIds.Count; i++)
        {
            await a.WaitUntilAsync(runIds[i], r => r.Run.WaitingForApproval);
            // Decided on the node that did not start it.
            await (i % 2 == 0 ? b : a).Runtime.DecideAsync(runIds[i], "approve", ApprovalChoice.Approve, new Decider("bob", ["approver"]), null);
        }

        foreach (var runId in runIds)
        {
            var run = await b.WaitUntilAsync(runId, r => RunStatus.IsFinished(r.Run.Status));
            Assert.Equal(RunStatus.Completed, run.Run.Status);
            // Exactly once across both nodes: no node ran a step the other was running.
            foreach (var id in new[] { "hello", "left", "right", "bye" })
                Assert.Single(run.Journal, j => j.NodeId == id && j.Status == JournalStatus.Succeeded);
            Assert.Single(run.Journal, j => j.NodeId == "join" && j.Status == JournalStatus.Succeeded);
        }
    }

    [Fact]
    public async Task A_server_starting_next_to_a_busy_one_leaves_its_attempt_in_flight_running()
    {
        var cs = server.CreateDatabase("engine");
        await using var a = await EngineHarness.StartAsync(store: new StoreLocation.Postgres(cs));
        await a.Runtime.Runbooks.SaveAsync(Json("pg-busy", [("busy", "Hang", new { name = "busy" }), Rec("after")], ["busy -Done-> after"]), "test", asNextVersion: false, published: true);
        var runId = (await a.StartAsync("pg-busy")).Run.RunId;
        await a.WaitUntilAsync(runId, r => r.Journal.Any(j => j.NodeId == "busy" && j.Status == JournalStatus.Running));

        // B marks attempts cut short by a stopped server as Interrupted when it starts; A's live one is not one of them.
        await using var b = await EngineHarness.StartAsync(store: new StoreLocation.Postgres(cs));
        Assert.Equal(JournalStatus.Running, Assert.Single((await b.Runtime.GetRunAsync(runId))!.Journal, j => j.NodeId == "busy").Status);

        await a.Runtime.CancelRunAsync(runId, "tester");
        var run = await a.WaitUntilAsync(runId, r => RunStatus.IsFinished(r.Run.Status));
        Assert.Equal(RunStatus.Cancelled, run.Run.Status);
        Assert.Equal(JournalStatus.Cancelled, Assert.Single(run.Journal, j => j.NodeId == "busy").Status);
    }

    [Fact]
    public async Task Two_nodes_sharing_the_database_accept_one_run_per_cluster_however_many_start_at_once()
    {
        var cs = server.CreateDatabase("engine");
        await using var a = await EngineHarness.StartAsync(store: new StoreLocation.Postgres(cs));
        await a.Runtime.Runbooks.SaveAsync(Gated, "test", asNextVersion: false, published: true);
        await using var b = await EngineHarness.StartAsync(store: new StoreLocation.Postgres(cs));
        await a.Services.GetRequiredService<ClusterDirectory>().ImportAsync(TestClusters.One(a.DatabaseFile), "test");

        // Each round: eight starts at once, half on each node; one is accepted, the others name it. Then it is rejected.
        for (var round = 0; round < 6; round++)
        {
            var starts = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => TryStartOnClusterAsync(i % 2 == 0 ? a : b)));
            var accepted = Assert.Single(starts, s => s.Run is not null).Run!;
            foreach (var (_, error) in starts.Where(s => s.Run is null))
                Assert.Contains($"cluster 'one' is busy with run {accepted.Run.RunId} (pg-gated, started by tester)", Assert.IsType<ConflictException>(error).Message);

            await a.WaitUntilAsync(accepted.Run.RunId, r => r.Run.WaitingForApproval);
            await b.Runtime.DecideAsync(accepted.Run.RunId, "approve", ApprovalChoice.Reject, new Decider("bob", ["approver"]), null);
            await a.WaitForEndAsync(accepted.Run.RunId);
        }
    }

    private static async Task<(RunView? Run, Exception? Error)> TryStartOnClusterAsync(EngineHarness node)
    {
        try { return (await node.Runtime.StartRunAsync(new StartRunRequest { RunbookId = "pg-gated", ClusterId = "one", StartedBy = "tester" }), null); }
        catch (ConflictException e) { return (null, e); }
    }
}
