using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PgHa.Workflows.Runtime;
using PgHa.Workflows.Store;
using PgHa.Workflows.Store.Entities;
using static PgHa.Workflows.Tests.Runbooks;

namespace PgHa.Workflows.Tests;

public sealed class ApprovalTests : IAsyncLifetime
{
    private EngineHarness _engine = null!;

    public async Task InitializeAsync()
    {
        _engine = await EngineHarness.StartAsync();
        await _engine.SaveAsync(Json("gated",
            [Rec("before"), ("approve", "WaitForApproval", new { prompt = "Promote the slave?" }), Rec("promote"), Rec("abort")],
            ["before -Done-> approve", "approve -Approved-> promote", "approve -Rejected-> abort"]));
    }

    public async Task DisposeAsync() => await _engine.DisposeAsync();

    [Fact]
    public async Task Approved_run_continues_on_the_approved_branch_and_records_who_and_why()
    {
        var runId = (await _engine.StartAsync("gated")).Run.RunId;
        var waiting = await _engine.WaitUntilAsync(runId, r => r.Run.WaitingForApproval);
        Assert.Equal(JournalStatus.Waiting, waiting.Nodes.Single(n => n.NodeId == "approve").State);
        Assert.Equal(0, _engine.Recorder.Count("promote"));
        Assert.Single(await _engine.Runtime.ListOpenApprovalsAsync());

        await _engine.Runtime.DecideAsync(runId, "approve", ApprovalChoice.Approve, new Decider("alice", ["approver"]), "lag is zero");
        var run = await _engine.WaitForEndAsync(runId);

        Assert.Equal(RunStatus.Completed, run.Run.Status);
        Assert.Equal(["before", "promote"], _engine.Recorder.Executions);
        var approval = Assert.Single(run.Approvals);
        Assert.Equal(("Approved", "alice", "lag is zero"), (approval.Decision, approval.DecidedBy, approval.Comment));
        Assert.Empty(await _engine.Runtime.ListOpenApprovalsAsync());
    }

    [Fact]
    public async Task Rejected_run_takes_the_rejected_branch()
    {
        var runId = (await _engine.StartAsync("gated")).Run.RunId;
        await _engine.WaitUntilAsync(runId, r => r.Run.WaitingForApproval);

        await _engine.Runtime.DecideAsync(runId, "approve", ApprovalChoice.Reject, new Decider("bob", ["approver"]), "not now");
        var run = await _engine.WaitForEndAsync(runId);

        Assert.Equal(["before", "abort"], _engine.Recorder.Executions);
        Assert.Equal("Rejected", run.Approvals.Single().Decision);
    }

    [Fact]
    public async Task A_second_decision_is_refused_and_does_not_change_the_first()
    {
        var runId = (await _engine.StartAsync("gated")).Run.RunId;
        await _engine.WaitUntilAsync(runId, r => r.Run.WaitingForApproval);
        await _engine.Runtime.DecideAsync(runId, "approve", ApprovalChoice.Approve, new Decider("alice", ["approver"]), null);

        var refused = await Assert.ThrowsAsync<ConflictException>(() =>
            _engine.Runtime.DecideAsync(runId, "approve", ApprovalChoice.Reject, new Decider("mallory", ["approver"]), null));
        var run = await _engine.WaitForEndAsync(runId);

        Assert.Contains("already decided: Approved by alice", refused.Message);
        Assert.Equal("alice", run.Approvals.Single().DecidedBy);
        Assert.Equal(0, _engine.Recorder.Count("abort"));
    }

    [Fact]
    public async Task The_engine_refuses_the_starter_and_a_role_below_the_one_asked_for_and_leaves_the_approval_open()
    {
        await _engine.SaveAsync(Json("admin-gated", [("approve", "WaitForApproval", new { prompt = "Drop it?", role = "admin" }), Rec("drop")], ["approve -Approved-> drop"]));
        var own = (await _engine.StartAsync("gated")).Run.RunId;
        var adminOnly = (await _engine.StartAsync("admin-gated")).Run.RunId;
        await _engine.WaitUntilAsync(own, r => r.Run.WaitingForApproval);
        await _engine.WaitUntilAsync(adminOnly, r => r.Run.WaitingForApproval);

        // The harness starts runs as "tester": the same principal however the name is spelled.
        var starter = await Assert.ThrowsAsync<ForbiddenException>(() =>
            _engine.Runtime.DecideAsync(own, "approve", ApprovalChoice.Approve, new Decider(" Tester", ["viewer", "operator", "approver", "admin"]), null));
        var lowRole = await Assert.ThrowsAsync<ForbiddenException>(() =>
            _engine.Runtime.DecideAsync(adminOnly, "approve", ApprovalChoice.Approve, new Decider("bob", ["viewer", "operator", "approver"]), null));

        Assert.Contains("second person", starter.Message);
        Assert.Contains("role admin", lowRole.Message);
        Assert.Equal(2, (await _engine.Runtime.ListOpenApprovalsAsync()).Count);
        await _engine.Runtime.DecideAsync(adminOnly, "approve", ApprovalChoice.Approve, new Decider("carol", ["admin"]), null);
        Assert.Equal("carol", (await _engine.WaitForEndAsync(adminOnly)).Approvals.Single().DecidedBy);
    }

    [Fact]
    public async Task A_decision_before_the_run_asked_for_approval_is_not_found_and_not_queued()
    {
        await _engine.SaveAsync(Json("slow-gated", [Rec("before", hold: 1500), ("approve", "WaitForApproval", new { prompt = "go?" })], ["before -Done-> approve"]));
        var runId = (await _engine.StartAsync("slow-gated")).Run.RunId;
        await Assert.ThrowsAsync<NotFoundException>(() =>
            _engine.Runtime.DecideAsync(runId, "approve", ApprovalChoice.Approve, new Decider("alice", ["approver"]), null));
        var waiting = await _engine.WaitUntilAsync(runId, r => r.Run.WaitingForApproval);
        Assert.Null(waiting.Approvals.Single().Decision);
    }

    [Fact]
    public async Task An_approval_nobody_decides_expires_with_TimedOut()
    {
        await _engine.SaveAsync(Json("expiring",
            [("approve", "WaitForApproval", new { prompt = "ok?", expiresAfterSeconds = 1 }), Rec("expired")],
            ["approve -TimedOut-> expired"]));

        var run = await _engine.WaitForEndAsync((await _engine.StartAsync("expiring")).Run.RunId);

        Assert.Equal(RunStatus.Completed, run.Run.Status);
        Assert.Equal("TimedOut", run.Approvals.Single().Decision);
        Assert.Equal(["expired"], _engine.Recorder.Executions);
    }

    [Fact]
    public async Task A_decision_recorded_but_never_published_is_published_again()
    {
        var runId = (await _engine.StartAsync("gated")).Run.RunId;
        await _engine.WaitUntilAsync(runId, r => r.Run.WaitingForApproval);
        // As if the server stopped between recording the decision and publishing its event.
        var contexts = _engine.Services.GetRequiredService<IDbContextFactory<PgHaDbContext>>();
        await using (var db = await contexts.CreateDbContextAsync())
            await db.Approvals.Where(a => a.RunId == runId).ExecuteUpdateAsync(u => u
                .SetProperty(a => a.Decision, "Approved").SetProperty(a => a.DecidedBy, "alice")
                .SetProperty(a => a.DecidedAt, DateTime.UtcNow.AddMinutes(-1)));

        var run = await _engine.WaitForEndAsync(runId);

        Assert.Equal(RunStatus.Completed, run.Run.Status);
        Assert.Equal(["before", "promote"], _engine.Recorder.Executions);
    }

    [Fact]
    public async Task Dry_run_plans_the_approval_without_waiting()
    {
        var run = await _engine.WaitForEndAsync((await _engine.StartAsync("gated", dryRun: true)).Run.RunId);

        Assert.Equal(RunStatus.Completed, run.Run.Status);
        Assert.Empty(run.Approvals);
        Assert.Contains("[plan] would wait for approval", run.Journal.Single(j => j.NodeId == "approve").Log);
    }

    [Fact]
    public async Task Cancelling_a_run_that_waits_for_approval_ends_it()
    {
        var runId = (await _engine.StartAsync("gated")).Run.RunId;
        await _engine.WaitUntilAsync(runId, r => r.Run.WaitingForApproval);

        await _engine.Runtime.CancelRunAsync(runId, "tester");
        var run = await _engine.WaitForEndAsync(runId);

        Assert.Equal(RunStatus.Cancelled, run.Run.Status);
        Assert.Equal(0, _engine.Recorder.Count("promote"));
    }
}
