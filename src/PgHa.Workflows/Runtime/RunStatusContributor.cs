using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using PgHa.Workflows.Store;
using PgHa.Workflows.Store.Entities;
using WorkflowCore.Models;

namespace PgHa.Workflows.Runtime;

/// <summary>
/// Keeps the run row in step with its WorkflowCore instance inside the checkpoint transaction: links the row to its
/// instance (the row is written before the instance exists) and records the final status.
/// </summary>
public sealed class RunStatusContributor(RunEvents events, RunCancellations cancellations) : ICheckpointContributor
{
    private readonly ConcurrentDictionary<string, byte> _knownRuns = new(StringComparer.Ordinal);

    public async ValueTask ContributeAsync(CheckpointScope checkpoint, CancellationToken cancellationToken)
    {
        var instance = checkpoint.Instance;
        if (instance.Data is not RunData data) return;
        var runId = data.RunId;
        var finished = instance.Status is WorkflowStatus.Complete or WorkflowStatus.Terminated;
        if (!finished && _knownRuns.ContainsKey(runId)) return;

        var run = await checkpoint.Db.Runs.FirstOrDefaultAsync(r => r.RunId == runId, cancellationToken);
        if (run is null) return; // not a run of ours (e.g. a raw WorkflowCore test instance)
        if (run.WorkflowInstanceId != instance.Id) run.WorkflowInstanceId = instance.Id;
        // Only a committed link lets later checkpoints skip this read.
        if (!finished) checkpoint.AfterCommit(() => _knownRuns.TryAdd(runId, 0));
        if (!finished || RunStatus.IsFinished(run.Status)) return;

        (run.Status, run.Error) = FinalStatus(instance, data, run);
        run.EndedAt = instance.CompleteTime ?? DateTime.UtcNow;
        var (status, error) = (run.Status, run.Error);
        checkpoint.AfterCommit(() =>
        {
            _knownRuns.TryRemove(runId, out _);
            cancellations.Forget(runId);
            events.Publish(runId, RunEventKinds.RunEnded, status: status, message: error);
        });
    }

    /// <summary>Instance id of a run row whose WorkflowCore instance is not linked yet.</summary>
    public const string PendingInstancePrefix = "pending:";

    /// <summary>A run row written before its instance exists; the placeholder instance id keeps the unique index happy.</summary>
    public static RunRecord NewRunRecord(RunData data, DateTime startedAt) => new()
    {
        RunId = data.RunId, WorkflowInstanceId = PendingInstancePrefix + data.RunId, RunbookId = data.RunbookId, RunbookVersion = data.RunbookVersion,
        ClusterId = data.ClusterId, InputsJson = JsonSerializer.Serialize(data.Inputs), DryRun = data.DryRun,
        StartedBy = data.StartedBy, StartedAt = startedAt, Status = RunStatus.Running,
        ClusterSnapshotJson = data.Cluster?.GetRawText(),
    };

    private static (string Status, string? Error) FinalStatus(WorkflowInstance instance, RunData data, RunRecord run)
    {
        if (data.Cancelled || run.CancelRequested) return (RunStatus.Cancelled, "cancelled");
        if (data.Failure is not null) return (RunStatus.Failed, data.Failure);
        return instance.Status == WorkflowStatus.Complete
            ? (RunStatus.Completed, null)
            : (RunStatus.Failed, "the engine terminated the run after repeated internal errors; see the server log");
    }
}
