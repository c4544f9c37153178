using System.Runtime.CompilerServices;
using PgHa.Workflows.Store;
using WorkflowCore.Models;

namespace PgHa.Workflows.Runtime;

/// <summary>
/// Writes that must commit together with a run's WorkflowCore checkpoint (journal rows, approvals, run status).
/// Steps queue them during a pass; the store applies them inside the PersistWorkflow transaction. Actions queued for
/// "after commit" (live events, termination requests) run only once that transaction succeeded; actions queued for
/// "on rollback" run instead when it failed (the engine then runs the pass again from the store).
/// </summary>
/// <remarks>
/// Keyed by the instance object of one engine pass, not by its id: WorkflowCore loads a fresh object for every pass
/// and persists that object once, so what a failed pass queued can never be applied by a later checkpoint (where it
/// would duplicate rows the repeated pass queues again); it goes away with its object.
/// </remarks>
public sealed class CheckpointBuffer : ICheckpointContributor
{
    private sealed class Pending
    {
        public readonly List<Func<PgHaDbContext, CancellationToken, ValueTask>> Writes = new();
        public readonly List<Action> AfterCommit = new();
        public readonly List<Func<Exception, ValueTask>> OnRollback = new();
    }

    private readonly ConditionalWeakTable<WorkflowInstance, Pending> _pending = new();

    private Pending For(WorkflowInstance instance) => _pending.GetValue(instance, static _ => new Pending());

    /// <summary>Queues a write that runs statements on the checkpoint's context (they join its transaction).</summary>
    public void Add(WorkflowInstance instance, Func<PgHaDbContext, CancellationToken, ValueTask> write)
    {
        var pending = For(instance);
        lock (pending) pending.Writes.Add(write);
    }

    /// <summary>Queues a write that stages entities on the checkpoint's context (saved before its commit).</summary>
    public void Add(WorkflowInstance instance, Action<PgHaDbContext> stage) =>
        Add(instance, (db, _) =>
        {
            stage(db);
            return ValueTask.CompletedTask;
        });

    public void AfterCommit(WorkflowInstance instance, Action action)
    {
        var pending = For(instance);
        lock (pending) pending.AfterCommit.Add(action);
    }

    /// <summary>Queues what to do, outside any transaction, when this pass's checkpoint fails.</summary>
    public void OnRollback(WorkflowInstance instance, Func<Exception, ValueTask> action)
    {
        var pending = For(instance);
        lock (pending) pending.OnRollback.Add(action);
    }

    public async ValueTask ContributeAsync(CheckpointScope checkpoint, CancellationToken cancellationToken)
    {
        if (!_pending.TryGetValue(checkpoint.Instance, out var pending)) return;
        List<Func<PgHaDbContext, CancellationToken, ValueTask>> writes;
        lock (pending)
        {
            writes = [.. pending.Writes];
            pending.Writes.Clear();
            foreach (var action in pending.AfterCommit) checkpoint.AfterCommit(action);
            pending.AfterCommit.Clear();
        }
        var instance = checkpoint.Instance;
        checkpoint.AfterCommit(() => _pending.Remove(instance));
        foreach (var write in writes) await write(checkpoint.Db, cancellationToken);
    }

    public async ValueTask RolledBackAsync(WorkflowInstance instance, Exception error, CancellationToken cancellationToken)
    {
        if (!_pending.TryGetValue(instance, out var pending)) return;
        _pending.Remove(instance);
        List<Func<Exception, ValueTask>> actions;
        lock (pending) actions = [.. pending.OnRollback];
        foreach (var action in actions) await action(error);
    }
}
