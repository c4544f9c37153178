using Microsoft.Extensions.DependencyInjection;
using PgHa.Workflows.Activities;
using PgHa.Workflows.Clusters;
using PgHa.Workflows.Runtime;
using PgHa.Workflows.Store.Entities;
using static PgHa.Workflows.Tests.Runbooks;

namespace PgHa.Workflows.Tests;

public sealed class DryRunTests : IAsyncLifetime
{
    private EngineHarness _engine = null!;

    public async Task InitializeAsync() => _engine = await EngineHarness.StartAsync();

    public async Task DisposeAsync() => await _engine.DisposeAsync();

    [Fact]
    public async Task A_dry_run_is_refused_when_a_node_changes_hosts_without_a_plan_mode()
    {
        await _engine.SaveAsync(Json("unplannable",
            [Rec("read"), ("change", "ChangeWithoutPlan", new { name = "change" })], ["read -Done-> change"]));

        var e = await Assert.ThrowsAsync<DryRunRefusedException>(() => _engine.StartAsync("unplannable", dryRun: true));

        var error = Assert.Single(e.Errors);
        Assert.Equal(("change", "activity"), (error.NodeId, error.Field));
        Assert.Contains("'ChangeWithoutPlan' changes hosts and has no plan mode", error.Message);
        Assert.Empty(_engine.Recorder.Executions);
        Assert.Empty(await _engine.Runtime.ListRunsAsync(new RunFilter()));
    }

    [Fact]
    public async Task The_same_runbook_runs_for_real()
    {
        await _engine.SaveAsync(Json("unplannable-real", [("change", "ChangeWithoutPlan", new { name = "change" })], []));

        var run = await _engine.WaitForEndAsync((await _engine.StartAsync("unplannable-real")).Run.RunId);

        Assert.Equal(RunStatus.Completed, run.Run.Status);
        Assert.Equal(["change"], _engine.Recorder.Executions);
    }

    [Fact]
    public async Task A_later_node_reads_a_placeholder_for_an_output_that_only_the_real_change_makes()
    {
        await _engine.SaveAsync(Json("keys",
            [("keygen", "GenerateKey", new { name = "k1" }), ("use", "Echo", new { text = "authorize ${nodes.keygen.outputs.key.value}" })],
            ["keygen -Done-> use"]));

        var plan = await _engine.WaitForEndAsync((await _engine.StartAsync("keys", dryRun: true)).Run.RunId);

        Assert.True(plan.Run.Status == RunStatus.Completed, plan.Run.Error);
        Assert.Contains("[plan] generate key k1", plan.Journal.Single(j => j.NodeId == "keygen").Log);
        Assert.Equal([$"echo:authorize {PlannedValue.For("nodes.keygen.outputs.key.value")}:0:"], _engine.Recorder.Executions);

        var real = await _engine.WaitForEndAsync((await _engine.StartAsync("keys")).Run.RunId);
        Assert.Equal(RunStatus.Completed, real.Run.Status);
        Assert.Equal("echo:authorize key-k1:0:", _engine.Recorder.Executions[^1]);
    }

    [Fact]
    public async Task Nodes_after_a_role_change_in_a_dry_run_resolve_the_new_roles_and_the_stored_roles_stay()
    {
        var clusters = _engine.Services.GetRequiredService<ClusterDirectory>();
        await clusters.ImportAsync(TestClusters.One(_engine.DatabaseFile), "test");
        await _engine.SaveAsync(Json("swap",
            [("before", "Echo", new { text = "master ${roles.master.name}" }), ("swap", "SwapMasterAndSlave", new { name = "swap" }), ("after", "Echo", new { text = "master ${roles.master.name}" })],
            ["before -Done-> swap", "swap -Done-> after"]));

        var plan = await _engine.WaitForEndAsync((await _engine.Runtime.StartRunAsync(new StartRunRequest
        {
            RunbookId = "swap", ClusterId = "one", StartedBy = "tester", DryRun = true,
        })).Run.RunId);

        Assert.True(plan.Run.Status == RunStatus.Completed, plan.Run.Error);
        Assert.Equal(["echo:master pg1:0:", "echo:master pg2:0:"], _engine.Recorder.Executions);
        Assert.Contains("roles in this dry run from here on: master=pg2, replica=pg3, slave=pg1 (not stored)", plan.Journal.Single(j => j.NodeId == "swap").Log);
        Assert.Equal("pg1", (await clusters.GetAsync("one"))!.Roles["master"]);
    }

    [Fact]
    public async Task A_dry_run_still_fails_on_an_output_of_a_node_that_did_not_run()
    {
        await _engine.SaveAsync(Json("branch",
            [("pick", "Choose", new { outcome = "Left" }), ("right", "GenerateKey", new { name = "r" }),
             ("left", "Echo", new { text = "${nodes.right.outputs.key.value}" })],
            ["pick -Left-> left", "pick -Right-> right"]));

        var plan = await _engine.WaitForEndAsync((await _engine.StartAsync("branch", dryRun: true)).Run.RunId);

        Assert.Equal(RunStatus.Failed, plan.Run.Status);
        Assert.Contains("'nodes' has no 'right'", plan.Journal.Single(j => j.NodeId == "left").Error);
    }
}
