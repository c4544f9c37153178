using System.Collections.Concurrent;
using PgHa.Workflows.Store;

namespace PgHa.Workflows.Runtime;

/// <summary>
/// Writes that must commit together with a run's WorkflowCore checkpoint (journal rows, approvals, run status).
/// Steps queue them during a pass; the store applies them inside the PersistWorkflow transaction. Actions
/// queued for "after commit" (live events, termination requests) run only once that transaction succeeded.
/// </summary>
public sealed class CheckpointBuffer : ICheckpointContributor
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<Func<PgHaDbContext, CancellationToken, ValueTask>>> _writes = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<Action>> _afterCommit = new();

    /// <summary>Queues a write that runs statements on the checkpoint's context (they join its transaction).</summary>
    public void Add(string instanceId, Func<PgHaDbContext, CancellationToken, ValueTask> write) =>
        _writes.GetOrAdd(instanceId, _ => new()).Enqueue(write);

    /// <summary>Queues a write that stages entities on the checkpoint's context (saved before its commit).</summary>
    public void Add(string instanceId, Action<PgHaDbContext> stage) =>
        Add(instanceId, (db, _) =>
        {
            stage(db);
            return ValueTask.CompletedTask;
        });

    public void AfterCommit(string instanceId, Action action) =>
        _afterCommit.GetOrAdd(instanceId, _ => new ConcurrentQueue<Action>()).Enqueue(action);

    public async ValueTask ContributeAsync(CheckpointScope checkpoint, CancellationToken cancellationToken)
    {
        var instanceId = checkpoint.Instance.Id;
        if (_writes.TryRemove(instanceId, out var writes))
            while (writes.TryDequeue(out var write)) await write(checkpoint.Db, cancellationToken);

        if (_afterCommit.TryRemove(instanceId, out var actions))
            while (actions.TryDequeue(out var action)) checkpoint.AfterCommit(action);
    }
}
