using PgHa.Workflows.Store.Entities;
using static PgHa.Workflows.Tests.Runbooks;

namespace PgHa.Workflows.Tests;

public sealed class RunExecutionTests : IAsyncLifetime
{
    private EngineHarness _engine = null!;

    public async Task InitializeAsync() => _engine = await EngineHarness.StartAsync();

    public async Task DisposeAsync() => await _engine.DisposeAsync();

    [Fact]
    public async Task Linear_runbook_runs_every_node_once_in_order()
    {
        await _engine.SaveAsync(Json("linear", [Rec("a"), Rec("b"), Rec("c")], ["a -Done-> b", "b -Done-> c"]));

        var run = await _engine.WaitForEndAsync((await _engine.StartAsync("linear")).Run.RunId);

        Assert.Equal(RunStatus.Completed, run.Run.Status);
        Assert.Equal(["a", "b", "c"], _engine.Recorder.Executions);
        Assert.All(run.Nodes, n => Assert.Equal(JournalStatus.Succeeded, n.State));
        Assert.Equal(3, run.Journal.Count);
    }

    [Fact]
    public async Task Outcome_selects_the_branch_and_the_other_branch_never_runs()
    {
        await _engine.SaveAsync(Json("branch",
            [("pick", "Choose", new { outcome = "Right" }), Rec("left"), Rec("right")],
            ["pick -Left-> left", "pick -Right-> right"]));

        var run = await _engine.WaitForEndAsync((await _engine.StartAsync("branch")).Run.RunId);

        Assert.Equal(RunStatus.Completed, run.Run.Status);
        Assert.Equal(["choose:Right", "right"], _engine.Recorder.Executions);
        Assert.Equal("NotStarted", run.Nodes.Single(n => n.NodeId == "left").State);
    }

    [Fact]
    public async Task Unconnected_outcome_other_than_done_fails_the_run()
    {
        await _engine.SaveAsync(Json("dead-end", [("pick", "Choose", new { outcome = "Left" }), Rec("right")], ["pick -Right-> right"]));

        var run = await _engine.WaitForEndAsync((await _engine.StartAsync("dead-end")).Run.RunId);

        Assert.Equal(RunStatus.Failed, run.Run.Status);
        Assert.Contains("node 'pick' ended with outcome 'Left'", run.Run.Error);
    }

    [Fact]
    public async Task Fork_runs_both_branches_and_join_continues_exactly_once()
    {
        await _engine.SaveAsync(Json("fork",
            [Rec("start"), ("fork", "Fork", null), Rec("a1"), Rec("a2"), Rec("b1"), ("join", "Join", null), Rec("after")],
            ["start -Done-> fork", "fork -Done-> a1", "fork -Done-> b1", "a1 -Done-> a2", "a2 -Done-> join", "b1 -Done-> join", "join -Done-> after"]));

        var run = await _engine.WaitForEndAsync((await _engine.StartAsync("fork")).Run.RunId);

        Assert.Equal(RunStatus.Completed, run.Run.Status);
        Assert.Equal(1, _engine.Recorder.Count("a1"));
        Assert.Equal(1, _engine.Recorder.Count("a2"));
        Assert.Equal(1, _engine.Recorder.Count("b1"));
        Assert.Equal(1, _engine.Recorder.Count("after"));
        Assert.Equal("after", _engine.Recorder.Executions[^1]);
        Assert.Single(run.Journal, j => j.NodeId == "join" && j.Status == JournalStatus.Arrived);
        Assert.Single(run.Journal, j => j.NodeId == "join" && j.Status == JournalStatus.Succeeded);
    }

    [Fact]
    public async Task Failed_attempts_are_retried_with_delay_then_succeed()
    {
        await _engine.SaveAsync(Json("retry-ok", [("flaky", "Flaky", new { name = "flaky", failTimes = 2 })], [],
            tweak: r => Node(r, "flaky")["retry"] = new System.Text.Json.Nodes.JsonObject { ["attempts"] = 3, ["delaySeconds"] = 1 }));

        var started = DateTime.UtcNow;
        var run = await _engine.WaitForEndAsync((await _engine.StartAsync("retry-ok")).Run.RunId);

        Assert.Equal(RunStatus.Completed, run.Run.Status);
        Assert.Equal(3, _engine.Recorder.Count("flaky"));
        Assert.Equal([JournalStatus.Failed, JournalStatus.Failed, JournalStatus.Succeeded], run.Journal.Select(j => j.Status));
        Assert.Equal([1, 2, 3], run.Journal.Select(j => j.Attempt));
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromSeconds(2), "two retry delays of 1 s");
    }

    [Fact]
    public async Task Retries_are_bounded_and_then_the_run_fails()
    {
        await _engine.SaveAsync(Json("retry-fail", [("flaky", "Flaky", new { name = "flaky", failTimes = 10 }), Rec("never")],
            ["flaky -Done-> never"],
            tweak: r => Node(r, "flaky")["retry"] = new System.Text.Json.Nodes.JsonObject { ["attempts"] = 2, ["delaySeconds"] = 0 }));

        var run = await _engine.WaitForEndAsync((await _engine.StartAsync("retry-fail")).Run.RunId);

        Assert.Equal(RunStatus.Failed, run.Run.Status);
        Assert.Equal(2, _engine.Recorder.Count("flaky"));
        Assert.Equal(0, _engine.Recorder.Count("never"));
        Assert.Contains("planned failure 2", run.Run.Error);
    }

    [Fact]
    public async Task Failed_outcome_can_be_routed_to_a_recovery_node()
    {
        await _engine.SaveAsync(Json("recover", [("flaky", "Flaky", new { name = "flaky", failTimes = 1 }), Rec("cleanup")],
            ["flaky -Failed-> cleanup"]));

        var run = await _engine.WaitForEndAsync((await _engine.StartAsync("recover")).Run.RunId);

        Assert.Equal(RunStatus.Completed, run.Run.Status);
        Assert.Equal(["flaky", "cleanup"], _engine.Recorder.Executions);
    }

    [Fact]
    public async Task Timeout_stops_a_hung_node_and_fails_the_run()
    {
        await _engine.SaveAsync(Json("timeout", [("hang", "Hang", new { name = "hang" }), Rec("never")], ["hang -Done-> never"],
            tweak: r => Node(r, "hang")["timeoutSeconds"] = 1));

        var run = await _engine.WaitForEndAsync((await _engine.StartAsync("timeout")).Run.RunId);

        Assert.Equal(RunStatus.Failed, run.Run.Status);
        Assert.Contains("timed out after 1 s", run.Journal.Single().Error);
        Assert.Equal(0, _engine.Recorder.Count("never"));
    }

    [Fact]
    public async Task Cancel_stops_the_node_in_flight_and_nothing_after_it_runs()
    {
        await _engine.SaveAsync(Json("cancel", [("hang", "Hang", new { name = "hang" }), Rec("never")], ["hang -Done-> never"]));
        var runId = (await _engine.StartAsync("cancel")).Run.RunId;
        await _engine.WaitUntilAsync(runId, r => r.Nodes.Any(n => n.NodeId == "hang" && n.State == JournalStatus.Running));

        await _engine.Runtime.CancelRunAsync(runId, "tester");
        var run = await _engine.WaitForEndAsync(runId);

        Assert.Equal(RunStatus.Cancelled, run.Run.Status);
        Assert.Equal(JournalStatus.Cancelled, run.Nodes.Single(n => n.NodeId == "hang").State);
        Assert.Equal(0, _engine.Recorder.Count("never"));
    }

    [Fact]
    public async Task Templates_resolve_run_inputs_defaults_and_earlier_outputs_with_their_types()
    {
        await _engine.SaveAsync(Json("templates",
            [
                ("first", "Echo", new { text = "${inputs.greeting}", number = "${inputs.count}", items = new[] { "${inputs.greeting}", "x" } }),
                ("second", "Echo", new { text = "got ${nodes.first.outputs.text} and ${nodes.first.outputs.number}", number = "${nodes.first.outputs.number}" }),
            ],
            ["first -Done-> second"],
            runInputs: new { greeting = new { type = "string", @default = "hello" }, count = new { type = "integer", required = true } }));

        var run = await _engine.WaitForEndAsync((await _engine.StartAsync("templates", new { count = 7 })).Run.RunId);

        Assert.Equal(RunStatus.Completed, run.Run.Status);
        Assert.Equal(["echo:hello:7:hello,x", "echo:got hello and 7:7:"], _engine.Recorder.Executions);
    }

    [Fact]
    public async Task Template_to_a_missing_output_fails_the_node_with_the_field_named()
    {
        await _engine.SaveAsync(Json("bad-template", [Rec("first"), ("second", "Echo", new { text = "${nodes.first.outputs.nope}" })],
            ["first -Done-> second"]));

        var run = await _engine.WaitForEndAsync((await _engine.StartAsync("bad-template")).Run.RunId);

        Assert.Equal(RunStatus.Failed, run.Run.Status);
        Assert.Contains("input 'text'", run.Journal.Last().Error);
        Assert.Contains("has no 'nope'", run.Journal.Last().Error);
    }

    [Fact]
    public async Task Delay_sleeps_durably_then_continues()
    {
        await _engine.SaveAsync(Json("delay", [("wait", "Delay", new { seconds = 1 }), Rec("after")], ["wait -Done-> after"]));
        var started = DateTime.UtcNow;

        var run = await _engine.WaitForEndAsync((await _engine.StartAsync("delay")).Run.RunId);

        Assert.Equal(RunStatus.Completed, run.Run.Status);
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromSeconds(1));
        Assert.Equal([JournalStatus.Sleeping, JournalStatus.Succeeded], run.Journal.Where(j => j.NodeId == "wait").Select(j => j.Status));
        Assert.Equal(1, _engine.Recorder.Count("after"));
    }

    [Fact]
    public async Task A_log_line_over_the_journal_cap_keeps_its_head_and_a_truncation_marker()
    {
        await _engine.SaveAsync(Json("huge-log", [("say", "Log", new { message = new string('x', 300 * 1024) })], []));
        var run = await _engine.WaitForEndAsync((await _engine.StartAsync("huge-log")).Run.RunId);
        var log = run.Journal.Single(j => j.NodeId == "say").Log;
        Assert.NotNull(log);
        Assert.StartsWith("xxxx", log);
        Assert.EndsWith("[log truncated at 262144 characters]", log);
    }
}
