using Microsoft.Extensions.DependencyInjection;
using PgHa.Workflows.Runtime;
using PgHa.Workflows.Store;
using PgHa.Workflows.Store.Entities;
using WorkflowCore.Models;
using static PgHa.Workflows.Tests.Runbooks;

namespace PgHa.Workflows.Tests;

/// <summary>A checkpoint that fails (database error, lost race) commits nothing; the engine runs the pass again.</summary>
public sealed class CheckpointFailureTests : IAsyncLifetime
{
    /// <summary>Fails the first checkpoint that records <paramref name="node"/> waiting for an event, as a database error would.</summary>
    private sealed class FailOnceWhenWaiting(string node) : ICheckpointContributor
    {
        private int _failed;

        public ValueTask ContributeAsync(CheckpointScope checkpoint, CancellationToken cancellationToken)
        {
            if (checkpoint.Instance.ExecutionPointers.Any(p => p.StepName == node && p.Status == PointerStatus.WaitingForEvent)
                && Interlocked.Exchange(ref _failed, 1) == 0)
                throw new InvalidOperationException("injected checkpoint failure");
            return ValueTask.CompletedTask;
        }
    }

    private EngineHarness _engine = null!;

    public async Task InitializeAsync() =>
        _engine = await EngineHarness.StartAsync(s => s.AddSingleton<ICheckpointContributor>(new FailOnceWhenWaiting("b")));

    public async Task DisposeAsync() => await _engine.DisposeAsync();

    [Fact]
    public async Task The_attempt_whose_checkpoint_failed_is_journaled_as_interrupted_and_nothing_it_queued_leaks_into_the_retry()
    {
        await _engine.SaveAsync(Json("cp-fail", [Rec("a"), ("b", "WaitForApproval", new { prompt = "go?" }), Rec("c")],
            ["a -Done-> b", "b -Approved-> c"]));
        var runId = (await _engine.StartAsync("cp-fail")).Run.RunId;

        // b's first pass queues its journal end (Waiting) and its approval row; that checkpoint fails, so neither may
        // survive into the repeated pass (a second approval row for the same key would fail every later checkpoint).
        var waiting = await _engine.WaitUntilAsync(runId, r => r.Approvals.Any(a => a.Decision is null));
        await _engine.Runtime.DecideAsync(runId, "b", ApprovalChoice.Approve, new Decider("approver", ["approver"]), "ok");
        var run = await _engine.WaitForEndAsync(runId);

        Assert.Equal(RunStatus.Completed, run.Run.Status);
        Assert.Equal(["a", "c"], _engine.Recorder.Executions);
        Assert.Single(run.Approvals);
        Assert.Equal([JournalStatus.Interrupted, JournalStatus.Waiting, JournalStatus.Succeeded],
            run.Journal.Where(j => j.NodeId == "b").OrderBy(j => j.Id).Select(j => j.Status).ToList());
        Assert.Contains("saving the run's progress failed", run.Journal.First(j => j.NodeId == "b").Error);
        Assert.DoesNotContain(run.Journal, j => j.Status == JournalStatus.Running);
        Assert.Equal("go?", Assert.Single(waiting.Approvals).Prompt);
    }
}
