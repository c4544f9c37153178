using System.Collections.Concurrent;
using PgHa.Workflows.Store;
using WorkflowCore.Models;

namespace PgHa.Workflows.Runtime;

/// <summary>
/// Writes that must commit together with a run's WorkflowCore checkpoint (journal rows, approvals, run status).
/// Steps queue them during a pass; the store applies them inside the PersistWorkflow transaction. Actions
/// queued for "after commit" (live events, termination requests) run only once that transaction succeeded.
/// </summary>
public sealed class CheckpointBuffer : ICheckpointContributor
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<Action<PgHaDbContext>>> _writes = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<Action>> _afterCommit = new();

    public void Add(string instanceId, Action<PgHaDbContext> write) =>
        _writes.GetOrAdd(instanceId, _ => new ConcurrentQueue<Action<PgHaDbContext>>()).Enqueue(write);

    public void AfterCommit(string instanceId, Action action) =>
        _afterCommit.GetOrAdd(instanceId, _ => new ConcurrentQueue<Action>()).Enqueue(action);

    public void Contribute(PgHaDbContext db, WorkflowInstance instance)
    {
        if (_writes.TryRemove(instance.Id, out var writes))
            while (writes.TryDequeue(out var write)) write(db);

        if (_afterCommit.TryRemove(instance.Id, out var actions))
        {
            var pending = actions.ToList();
            db.SavedChanges += (_, _) =>
            {
                foreach (var action in pending) action();
            };
        }
    }
}
